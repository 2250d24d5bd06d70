# Alignment: bwa mem -> fixmate -> sort -> markdup (samtools), or import of a user BAM/CRAM.


if config.get("fastq"):

    rule bwa_mem:
        input:
            fastq=config["fastq"],
            fasta=REF,
            bwt=REF + ".bwt",
        output:
            bam="align/{sample}.bam",
            bai="align/{sample}.bam.bai",
        log:
            "logs/bwa_mem.{sample}.log",
        benchmark:
            "benchmarks/bwa_mem.{sample}.tsv"
        threads: config["threads"]
        resources:
            mem_mb=8000,
        params:
            rg=lambda wc: f"@RG\\tID:{wc.sample}\\tSM:{wc.sample}\\tPL:ILLUMINA",
        shell:
            "(bwa mem -t {threads} -R '{params.rg}' {input.fasta} {input.fastq:q}"
            " | samtools fixmate -m -u - -"
            " | samtools sort -u -@ {threads} -m 768M -T align/{wildcards.sample}.sorttmp -"
            " | samtools markdup -@ {threads} --write-index - {output.bam}##idx##{output.bai}) 2> {log}"

else:

    rule import_alignment:
        input:
            aln=alignment_input(),
            fasta=REF,
            contigs="ref/contigs.tsv",
        output:
            bam="align/{sample}.bam",
            bai="align/{sample}.bam.bai",
        log:
            "logs/import_alignment.{sample}.log",
        benchmark:
            "benchmarks/import_alignment.{sample}.tsv"
        threads: config["threads"]
        resources:
            mem_mb=4000,
        shell:
            "{PY} -m iasante.lag.workflow.bamimport {input.aln:q} {input.contigs} {input.fasta} {output.bam}"
            " {threads} > {log} 2>&1"


rule mapping_check:
    input:
        "align/{sample}.bam",
    output:
        "qc/{sample}.flagstat.json",
    log:
        "logs/mapping_check.{sample}.log",
    threads: 1
    resources:
        mem_mb=500,
    params:
        min_rate=config["min_mapping_rate"],
    shell:
        "(samtools flagstat -O json {input} > {output}.tmp"
        " && {PY} -m iasante.lag.qc check {output}.tmp {params.min_rate} && mv {output}.tmp {output}) 2> {log}"
