# SV callers (delly, lumpy, tiddit) and read-depth CNV calls (CNVkit, flat reference), each harmonised.
# The callers are one-thread jobs run side by side; `priority` starts the longest first (CNVkit, then lumpy,
# tiddit, delly) so that on 2 cores the last one to start is a short one and no core idles at the end.


rule delly_call:
    input:
        bam="align/{sample}.bam",
        fasta=REF,
        checked="qc/{sample}.flagstat.json",
    output:
        temp("calls/{sample}.delly.bcf"),
    log:
        "logs/delly.{sample}.log",
    benchmark:
        "benchmarks/delly.{sample}.tsv"
    priority: 1
    threads: 1
    resources:
        mem_mb=4000,
    shell:
        "delly call -g {input.fasta} -o {output} {input.bam} > {log} 2>&1"


rule lumpy_call:
    input:
        bam="align/{sample}.bam",
        checked="qc/{sample}.flagstat.json",
    output:
        temp("calls/{sample}.lumpy.raw.vcf"),
    log:
        "logs/lumpy.{sample}.log",
    benchmark:
        "benchmarks/lumpy.{sample}.tsv"
    priority: 3
    threads: 1
    resources:
        mem_mb=4000,
    params:
        tmp="calls/{sample}.lumpy_tmp",
        insert_reads=50000,
    shell:
        "(mkdir -p {params.tmp}"
        " && samtools view -b -F 1294 -o {params.tmp}/disc.bam {input.bam}"
        # samtools keeps only non-duplicate reads with an SA tag, the only ones the Python script keeps: the
        # same split.bam for a fraction of the per-read Python work
        " && samtools view -h -F 1024 -e '[SA]' {input.bam}"
        " | /usr/share/lumpy-sv/scripts/extractSplitReads_BwaMem -i stdin"
        " | samtools view -b -o {params.tmp}/split.bam -"
        # lumpyexpress reads -B only for the read length and the insert-size distribution, which its Python
        # scripts estimate from up to 10 M reads one by one; the first reads give the same distribution
        " && samtools head -n {params.insert_reads} {input.bam} | samtools view -b -o {params.tmp}/insert.bam -"
        " && lumpyexpress -B {params.tmp}/insert.bam -S {params.tmp}/split.bam -D {params.tmp}/disc.bam"
        " -o {output} -T {params.tmp}/work"
        " && rm -rf {params.tmp}) > {log} 2>&1"


rule tiddit_call:
    input:
        bam="align/{sample}.bam",
        fasta=REF,
        checked="qc/{sample}.flagstat.json",
    output:
        temp("calls/{sample}.tiddit.raw.vcf"),
    log:
        "logs/tiddit.{sample}.log",
    benchmark:
        "benchmarks/tiddit.{sample}.tsv"
    priority: 2
    threads: 1
    resources:
        mem_mb=4000,
    params:
        prefix="calls/{sample}.tiddit_out",
    shell:
        "(tiddit --sv --bam {input.bam} --ref {input.fasta} -o {params.prefix} --threads {threads}"
        " --skip_assembly && mv {params.prefix}.vcf {output} && rm -rf {params.prefix}_tiddit"
        " {params.prefix}.ploidies.tab) > {log} 2>&1"


rule cnvkit_call:
    input:
        bam="align/{sample}.bam",
        fasta=REF,
        access="ref/access.bed",
        checked="qc/{sample}.flagstat.json",
    output:
        cns="calls/{sample}.cnvkit.cns",
        cnr="calls/{sample}.cnvkit.cnr",
    log:
        "logs/cnvkit.{sample}.log",
    benchmark:
        "benchmarks/cnvkit.{sample}.tsv"
    priority: 4
    threads: 1
    resources:
        mem_mb=4000,
    params:
        outdir="calls/{sample}.cnvkit_out",
        bin_bp=config["cnvkit_bin_bp"],
    shell:
        "(mkdir -p {params.outdir}"
        " && cnvkit batch {input.bam} -n -m wgs -f {input.fasta} --access {input.access}"
        " --target-avg-size {params.bin_bp} -d {params.outdir} -p {threads}"
        " && mv {params.outdir}/{wildcards.sample}.cns {output.cns}"
        " && mv {params.outdir}/{wildcards.sample}.cnr {output.cnr}"
        " && rm -rf {params.outdir}) > {log} 2>&1"


rule softclip_insertions:
    input:
        bam="align/{sample}.bam",
        fai=REF + ".fai",
        checked="qc/{sample}.flagstat.json",
    output:
        "calls/{sample}.softclip.vcf",
    log:
        "logs/softclip.{sample}.log",
    benchmark:
        "benchmarks/softclip.{sample}.tsv"
    threads: 1
    resources:
        mem_mb=1000,
    shell:
        # samtools keeps mapped primary reads with a >= 20 bp soft clip and no supplementary alignment
        "(samtools view -q 20 -F 3844 -e 'sclen >= 20 && ![SA]' {input.bam}"
        " | {PY} -m iasante.lag.workflow.insertions {input.fai} {output}) 2> {log}"


RAW_OUTPUT = {
    "delly": "calls/{sample}.delly.bcf",
    "lumpy": "calls/{sample}.lumpy.raw.vcf",
    "tiddit": "calls/{sample}.tiddit.raw.vcf",
    "cnvkit": "calls/{sample}.cnvkit.cns",
}


rule harmonise:
    input:
        calls=[RAW_OUTPUT[c] for c in CALLERS],
        fai=REF + ".fai",
    output:
        expand("calls/{{sample}}.{caller}.vcf", caller=CALLERS),
    log:
        "logs/harmonise.{sample}.log",
    benchmark:
        "benchmarks/harmonise.{sample}.tsv"
    threads: 1
    resources:
        mem_mb=1000,
    params:
        pairs=lambda wc, input, output: " ".join(
            f"{c}={i}={o}" for c, i, o in zip(CALLERS, input.calls, output)
        ),
    shell:
        "{PY} -m iasante.lag.workflow.svcalls {input.fai} {params.pairs} > {log} 2>&1"
