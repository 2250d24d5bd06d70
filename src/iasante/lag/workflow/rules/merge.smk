# Merge across callers (SURVIVOR for breakpoints, CNVkit by overlap) and publish one VCF 4.2.

import json


rule survivor_merge:
    input:
        expand("calls/{{sample}}.{caller}.vcf", caller=BREAKPOINT_CALLERS),
    output:
        vcf="merge/{sample}.survivor.vcf",
        listing="merge/{sample}.callers.txt",
    log:
        "logs/survivor.{sample}.log",
    benchmark:
        "benchmarks/survivor.{sample}.tsv"
    threads: 1
    resources:
        mem_mb=1000,
    params:
        distance_bp=config["merge_distance_bp"],
        min_size_bp=config["min_size_bp"],
    shell:
        "(printf '%s\\n' {input} > {output.listing}"
        " && SURVIVOR merge {output.listing} {params.distance_bp} 1 1 0 0 {params.min_size_bp} {output.vcf})"
        " > {log} 2>&1"


rule publish_vcf:
    input:
        survivor="merge/{sample}.survivor.vcf",
        calls=expand("calls/{{sample}}.{caller}.vcf", caller=CALLERS),
        fasta=REF,
        contigs="ref/contigs.tsv",
        cnr=["calls/{sample}.cnvkit.cnr"] if "cnvkit" in CALLERS else [],
        bam="align/{sample}.bam",
        insertions="calls/{sample}.softclip.vcf",
    output:
        vcf="results/{sample}.sv.vcf.gz",
        tbi="results/{sample}.sv.vcf.gz.tbi",
        cfg="merge/{sample}.merge.json",
    log:
        "logs/publish_vcf.{sample}.log",
    benchmark:
        "benchmarks/publish_vcf.{sample}.tsv"
    threads: 1
    resources:
        mem_mb=1000,
    params:
        settings=lambda wc, input, output: json.dumps(
            {
                "survivor": input.survivor,
                "harmonised": dict(zip(CALLERS, input.calls)),
                "fasta": input.fasta,
                "contigs": input.contigs,
                "cnr": input.cnr[0] if input.cnr else "",
                "bam": input.bam,
                "insertions": input.insertions,
                "out": output.vcf,
                "sample": wc.sample,
                "min_support": config["min_support"],
                "solo_min_reads": config["solo_min_reads"],
                "cytoband": config.get("cytoband", ""),
                "build": config["genome_build"],
            }
        ),
    shell:
        "(echo '{params.settings}' > {output.cfg} && {PY} -m iasante.lag.workflow.merge {output.cfg}) > {log} 2>&1"
