#!/usr/bin/env bash
# A throwaway nginx on loopback for the http experiments:
#   scripts/nginx.sh start [PORT] [DIR]   serve DIR/www on 127.0.0.1:PORT (default 8089, /tmp/conlab-nginx)
#   scripts/nginx.sh stop  [PORT] [DIR]
# It serves /10282.bin and /275.bin (the seeds' two page sizes), keep-alive on,
# one worker process, no access log; and the same over HTTP/2 with prior
# knowledge (h2c) on PORT+1, logging each request's protocol to DIR/h2.log.
# Needs Debian's nginx (or nginx-light).
set -euo pipefail
cmd=${1:-start}
port=${2:-8089}
dir=${3:-/tmp/conlab-nginx}
nginx=$(command -v nginx || echo /usr/sbin/nginx)

case "$cmd" in
start)
  [ -x "$nginx" ] || { echo "nginx.sh: nginx not installed (apt-get install nginx-light)" >&2; exit 1; }
  mkdir -p "$dir/www" "$dir/tmp"
  chmod 755 "$dir" "$dir/www"
  head -c 10282 /dev/zero | tr '\0' 'a' > "$dir/www/10282.bin"
  head -c 275 /dev/zero | tr '\0' 'b' > "$dir/www/275.bin"
  chmod 644 "$dir/www/"*.bin
  user=""
  [ "$(id -u)" -eq 0 ] && user="user root;"
  cat > "$dir/nginx.conf" <<CONF
$user
worker_processes 1;
daemon on;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  log_format protocol '\$server_protocol';
  server {
    listen 127.0.0.1:$port;
    root $dir/www;
  }
  server {
    listen 127.0.0.1:$((port + 1)) http2;
    root $dir/www;
    access_log $dir/h2.log protocol;
  }
}
CONF
  "$nginx" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
  for _ in $(seq 50); do
    [ -s "$dir/nginx.pid" ] && exec 3<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null && { exec 3>&-; echo "nginx on http://127.0.0.1:$port/ (pid $(cat "$dir/nginx.pid"))"; exit 0; }
    sleep 0.1
  done
  echo "nginx.sh: nginx did not come up; see $dir/error.log" >&2
  exit 1
  ;;
stop)
  if [ -s "$dir/nginx.pid" ]; then
    kill "$(cat "$dir/nginx.pid")" 2>/dev/null || true
    for _ in $(seq 50); do [ -e "$dir/nginx.pid" ] || break; sleep 0.1; done
  fi
  ;;
*) echo "usage: $0 start|stop [PORT] [DIR]" >&2; exit 2 ;;
esac
