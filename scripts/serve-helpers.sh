# Sourced by the scripts that run a real server; expects $bin (the leak-history executable).
# start_serve DB DIR [OPTIONS…]: starts `serve` on a free port, logs in DIR; sets server_pid and port.
start_serve() {
    local db=$1 dir=$2
    shift 2
    "$bin" serve --db "$db" --port 0 --log-level error "$@" >"$dir/serve.out" 2>"$dir/serve.err" &
    server_pid=$!
    port=
    for _ in $(seq 1 200); do
        port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$dir/serve.out")
        [ -n "$port" ] && return 0
        sleep 0.1
    done
    echo "serve did not start: $(cat "$dir/serve.err")" >&2
    return 1
}
