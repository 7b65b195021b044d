#!/bin/sh
# vrrp_script chk_nginx: exit 0 while nginx runs. If it is gone, try once to start it, as the
# published script meant to; if that does not help, fail, so `weight -5` drops this node's
# priority (101 -> 96 < 100) and the backup takes over the VIP. Runs under busybox sh
# (no bash, no systemctl, no ps -C); keep it well under the script's interval (2 s).
nginx_running() {
    pidof nginx >/dev/null 2>&1
}

nginx_running && exit 0
for init in /etc/init.d/S??nginx /etc/init.d/nginx; do
    if [ -x "$init" ]; then
        "$init" start >/dev/null 2>&1
        break
    fi
done
sleep 1
nginx_running
