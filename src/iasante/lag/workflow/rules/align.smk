# Alignment: bwa mem -> fixmate -> sort -> markdup (samtools), or import of a user BAM/CRAM, then the mapping-rate
# gate (samtools flagstat) in the same job: a separate gate job between alignment and callers costs a scheduling
# round and a process start on the critical path while both cores wait.


if config.get("fastq"):

    rule bwa_mem:
        input:
            fastq=config["fastq"],
            fasta=REF,
            bwt=REF + ".bwt",
        output:
            bam="align/{sample}.bam",
            bai="align/{sample}.bam.bai",
            flagstat="qc/{sample}.flagstat.json",
        log:
            "logs/bwa_mem.{sample}.log",
        benchmark:
            "benchmarks/bwa_mem.{sample}.tsv"
        threads: config["threads"]
        resources:
            mem_mb=8000,
        params:
            rg=lambda wc: f"@RG\\tID:{wc.sample}\\tSM:{wc.sample}\\tPL:ILLUMINA",
            min_rate=config["min_mapping_rate"],
        shell:
            "(bwa mem -t {threads} -R '{params.rg}' {input.fasta} {input.fastq:q}"
            " | samtools fixmate -m -u - -"
            " | samtools sort -u -@ {threads} -m 768M -T align/{wildcards.sample}.sorttmp -"
            " | samtools markdup -@ {threads} --write-index - {output.bam}##idx##{output.bai}"
            " && " + MAPPING_CHECK + ") 2> {log}"

else:

    rule import_alignment:
        input:
            aln=alignment_input(),
            fasta=REF,
            contigs="ref/contigs.tsv",
        output:
            bam="align/{sample}.bam",
            bai="align/{sample}.bam.bai",
            flagstat="qc/{sample}.flagstat.json",
        log:
            "logs/import_alignment.{sample}.log",
        benchmark:
            "benchmarks/import_alignment.{sample}.tsv"
        threads: config["threads"]
        resources:
            mem_mb=4000,
        params:
            min_rate=config["min_mapping_rate"],
        shell:
            "({PY} -m iasante.lag.workflow.bamimport {input.aln:q} {input.contigs} {input.fasta} {output.bam}"
            " {threads} && " + MAPPING_CHECK + ") > {log} 2>&1"

