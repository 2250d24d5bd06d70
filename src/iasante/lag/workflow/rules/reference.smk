# Reference preparation: safe contig aliases, FASTA index, BWA index (linked when already present) and the
# accessible regions for CNVkit (what `cnvkit access` writes, found in the same pass over the FASTA).


rule prepare_reference:
    input:
        config["reference"],
    output:
        fasta=REF,
        fai=REF + ".fai",
        bwt=REF + ".bwt",
        contigs="ref/contigs.tsv",
        access="ref/access.bed",
    log:
        "logs/prepare_reference.log",
    benchmark:
        "benchmarks/prepare_reference.tsv"
    threads: 1
    resources:
        mem_mb=4000,
    shell:
        "{PY} -m iasante.lag.workflow.reference {input:q} ref > {log} 2>&1"
