#!/usr/bin/env bash
# Starts or stops a throw-away PostgreSQL cluster on 127.0.0.1 for tests and local runs.
#   infra/postgres.sh start DIR [PORT]   initdb into DIR (if empty), start, print the Npgsql connection string
#   infra/postgres.sh stop DIR           stop the cluster in DIR
# As root, the server runs as the 'postgres' user (PostgreSQL refuses to run as root).
set -euo pipefail
cmd="${1:-}"; dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2; }
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -x "$bin/initdb" ] || { echo "postgres.sh: PostgreSQL server binaries not found; run infra/setup.sh" >&2; exit 1; }
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$cmd" in
  start)
    port="${3:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}"
    mkdir -p "$dir"
    # The server user must be able to reach DIR: as root, hand DIR to it and open its parent for traversal.
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; chmod 700 "$dir"; chmod a+x "$(dirname "$dir")"; fi
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_pg "$bin/initdb" -D "$dir" -U search --auth=trust -E UTF8 --no-locale >/dev/null
    fi
    as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir' -c fsync=on -c max_connections=200" start >/dev/null
    echo "Host=127.0.0.1;Port=$port;Username=search;Database=postgres;Pooling=true"
    ;;
  stop)
    [ -f "$dir/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
    ;;
  *) echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2 ;;
esac
