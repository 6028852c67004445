#!/usr/bin/env bash
# Prints a TCP port no socket uses, for tests and benchmarks. It picks
# below the kernel's ephemeral range (ip_local_port_range), so an outgoing
# connection's local port cannot take it between this check and the bind.
set -u
low=20000
high=$(awk '{print $1 - 1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32767)
[ "$high" -gt "$low" ] || { low=10000; high=32767; }
while :; do
  p=$((low + RANDOM % (high - low)))
  ss -Htan "( sport = :$p )" | grep -q . || { echo "$p"; exit 0; }
done
