#!/usr/bin/env bash
# Installs the Debian tools IA Santé uses, only those missing (idempotent; needs root or sudo).
set -euo pipefail
declare -A need=(
  [/usr/lib/postgresql/15/bin/initdb]=postgresql
  [/usr/sbin/mosquitto]=mosquitto
  [/usr/bin/mosquitto_passwd]=mosquitto
  [/usr/bin/mosquitto_pub]=mosquitto-clients
  [/usr/bin/chromium]=chromium
  [/usr/bin/bwa]=bwa
  [/usr/bin/samtools]=samtools
  [/usr/bin/bcftools]=bcftools
  [/usr/bin/tabix]=tabix
  [/usr/bin/delly]=delly
  [/usr/bin/lumpyexpress]=lumpy-sv
  [/usr/bin/gawk]=gawk
  [/usr/bin/tiddit]=tiddit
  [/usr/bin/cnvkit]=cnvkit
  [/usr/bin/SURVIVOR]=survivor
  [/usr/bin/dwgsim]=dwgsim
  [/usr/bin/art_illumina]=art-nextgen-simulation-tools
  [/usr/lib/x86_64-linux-gnu/libpango-1.0.so.0]=libpango-1.0-0
  [/usr/lib/x86_64-linux-gnu/libpangoft2-1.0.so.0]=libpangoft2-1.0-0
  [/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf]=fonts-dejavu-core
)
missing=()
for path in "${!need[@]}"; do
  [ -e "$path" ] || missing+=("${need[$path]}")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system tools: all present"
  exit 0
fi
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "system tools: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The Debian services are started by the app's own fixtures and commands, never system-wide.
for service in postgresql mosquitto; do
  $SUDO systemctl disable --now "$service" >/dev/null 2>&1 || true
done
