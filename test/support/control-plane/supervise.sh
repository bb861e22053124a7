#!/usr/bin/env bash
# Runs a server and stops it as soon as the process that asked for it goes away, so a crashed,
# killed or interrupted test run never leaves etcd or kube-apiserver behind.
# usage: supervise.sh <parent-pid> <command> [args...]
parent="$1"; shift
"$@" &
child=$!
stop() {
  kill -TERM "$child" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$child" 2>/dev/null || exit 0; sleep 0.1; done
  kill -KILL "$child" 2>/dev/null
  exit 0
}
trap stop TERM INT HUP
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do
  sleep 0.5 & wait $!
done
stop
