# QC: samtools stats (coverage, insert size, mapping rate) and the HTML summary.


rule samtools_stats:
    input:
        bam="align/{sample}.bam",
        fasta=REF,
    output:
        "qc/{sample}.stats.txt",
    log:
        "logs/samtools_stats.{sample}.log",
    benchmark:
        "benchmarks/samtools_stats.{sample}.tsv"
    threads: 1
    resources:
        mem_mb=1000,
    shell:
        "samtools stats -@ {threads} --reference {input.fasta} {input.bam} > {output} 2> {log}"


rule qc_html:
    input:
        stats="qc/{sample}.stats.txt",
        flagstat="qc/{sample}.flagstat.json",
        vcf="results/{sample}.sv.vcf.gz",
        contigs="ref/contigs.tsv",
        cnr=["calls/{sample}.cnvkit.cnr"] if "cnvkit" in CALLERS else [],
    output:
        "results/{sample}.qc.html",
    log:
        "logs/qc_html.{sample}.log",
    threads: 1
    resources:
        mem_mb=1000,
    params:
        cnr=lambda wc, input: input.cnr[0] if input.cnr else "-",
    shell:
        "{PY} -m iasante.lag.qc report {wildcards.sample} {input.stats} {input.flagstat} {input.vcf}"
        " {input.contigs} {params.cnr} {output} > {log} 2>&1"
