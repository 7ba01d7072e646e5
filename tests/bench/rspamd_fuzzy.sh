# rspamd_fuzzy.sh - sourced by tests/bench/whorld.sh: starts rspamd (Debian's
# 3.4) with only the fuzzy_check module enabled (options.filters; no Lua
# rules, no Lua plugins), a redis-backed fuzzy storage worker and a redis
# server of its own, all on 127.0.0.1 at free ports in folder $1; learns
# messages into it as a user does (rspamc fuzzy_add through the controller);
# stops everything by PID.
#
#   rspamd_fuzzy_start DIR       sets rspamd_normal_port, rspamd_pid,
#                                rspamd_redis_pid
#   rspamd_fuzzy_learn DIR...    rspamc fuzzy_add -f 11 (LOCAL_FUZZY_DENIED)
#   rspamd_fuzzy_pids            rspamd's main process and its workers
#   rspamd_fuzzy_stop
#
# The fuzzy_check rule keeps the module's usual settings (mumhash shingles,
# min_bytes 1k, min_length 64 words, short_text_direct_hash) with the
# storage local instead of rspamd.com's servers. Needs free_port and die
# from the caller. Not for: whorld (rspamd's cloudmark module pointed at
# whorld is tests/integration's business).

rspamd_fuzzy_start() {
	local dir=$1 rport cport fport i
	mkdir -p "$dir"
	rport=$(free_port)
	rspamd_normal_port=$(free_port)
	cport=$(free_port)
	fport=$(free_port)
	rspamd_controller_port=$cport
	redis-server --bind 127.0.0.1 --port "$rport" --save "" --appendonly no \
		--dir "$dir" --logfile "$dir/redis.log" &
	rspamd_redis_pid=$!
	rspamd_redis_port=$rport
	pids+=("$rspamd_redis_pid")
	cat >"$dir/rspamd.conf" <<CONF
options {
	pidfile = "$dir/rspamd.pid";
	filters = "fuzzy_check";
	local_addrs = "127.0.0.0/8";
}
logging { type = "file"; filename = "$dir/rspamd.log"; level = "error"; }
redis { servers = "127.0.0.1:$rport"; }
worker "normal" { bind_socket = "127.0.0.1:$rspamd_normal_port"; count = 2; }
worker "controller" { bind_socket = "127.0.0.1:$cport"; count = 1; secure_ip = "127.0.0.1"; }
worker "fuzzy" {
	bind_socket = "127.0.0.1:$fport";
	count = 1;
	backend = "redis";
	servers = "127.0.0.1:$rport";
	expire = 90d;
	sync = 1s; # apply queued updates every second, not every minute
	allow_update = ["127.0.0.1"];
}
fuzzy_check {
	min_bytes = 1k;
	timeout = 2s;
	retransmits = 1;
	rule "local" {
		algorithm = "mumhash";
		servers = "127.0.0.1:$fport";
		symbol = "LOCAL_FUZZY_UNKNOWN";
		mime_types = ["*"];
		max_score = 20.0;
		read_only = no;
		skip_unknown = yes;
		short_text_direct_hash = true;
		min_length = 64;
		fuzzy_map = { LOCAL_FUZZY_DENIED { max_score = 20.0; flag = 11; } }
	}
}
CONF
	rspamd -f -i -c "$dir/rspamd.conf" --var "DBDIR=$dir" --var "RUNDIR=$dir" \
		--var "LOGDIR=$dir" >"$dir/rspamd.out" 2>&1 &
	rspamd_pid=$!
	pids+=("$rspamd_pid")
	for ((i = 0; i < 300; i++)); do
		curl -sf -o /dev/null "http://127.0.0.1:$rspamd_normal_port/ping" \
			&& curl -sf -o /dev/null "http://127.0.0.1:$cport/ping" && return 0
		kill -0 "$rspamd_pid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$dir/rspamd.out" "$dir/rspamd.log" >&2 2>/dev/null
	die "rspamd did not start"
}

rspamd_fuzzy_learn() {
	local out=$work/rspamd_learn.out n
	find "$@" -type f -print0 | xargs -0 rspamc -h "127.0.0.1:$rspamd_controller_port" -n 2 \
		fuzzy_add -f 11 -w 10 >"$out" 2>&1 || true
	n=$(grep -c 'success = true' "$out" || true)
	echo "rspamd_fuzzy_learned = ${n:-0} msgs ($(find "$@" -type f | wc -l) offered;" \
		"fewer: under min_bytes/min_length or no text part)"
	[[ ${n:-0} -gt 0 ]] || { tail -n 20 "$out" >&2; die "rspamc fuzzy_add learned nothing"; }
	# The storage worker applies queued updates at its next sync: wait
	# until redis holds keys and their number stops moving.
	local keys=0 last=-1 i
	for ((i = 0; i < 100; i++)); do
		keys=$(redis-cli -p "$rspamd_redis_port" dbsize)
		[[ $keys -gt 0 && $keys == "$last" ]] && break
		last=$keys
		sleep 0.5
	done
	echo "rspamd_redis_keys = $keys"
	[[ $keys -gt 0 ]] || die "the fuzzy storage wrote nothing to redis (see $work/rspamd)"
}

rspamd_fuzzy_pids() {
	echo "$rspamd_pid" $(ps -o pid= --ppid "$rspamd_pid")
}

rspamd_fuzzy_stop() {
	kill "$rspamd_pid" 2>/dev/null || true
	wait "$rspamd_pid" 2>/dev/null || true
	kill "$rspamd_redis_pid" 2>/dev/null || true
	wait "$rspamd_redis_pid" 2>/dev/null || true
}
