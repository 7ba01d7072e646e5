# corpus.sh - what the bash scripts that run on the SpamAssassin corpus
# share (tests/bench/*.sh, tests/integration/lib/determinism.sh): where the
# corpus is, the programs they need, and a gateway on the corpus.
# Needs $root (the repository root). corpus_path prints the corpus folder,
# fetching it with shared/corpus/fetch.sh the first time; it returns
# non-zero, with a line on stderr, when fetch.sh is not found or fails.

corpus_path() {
	local c fetch=
	for c in "$root/../shared/corpus/fetch.sh" "$root/../../shared/corpus/fetch.sh" \
		/work/shared/corpus/fetch.sh; do
		[[ -f $c ]] && { fetch=$c; break; }
	done
	if [[ -z $fetch ]]; then
		echo "corpus/fetch.sh not found (looked in ../shared/corpus and /work/shared/corpus)" >&2
		return 1
	fi
	local out
	out=$(bash "$fetch") || { echo "fetching the corpus failed ($fetch)" >&2; return 1; }
	printf '%s\n' "${out##*$'\n'}"
}

# corpus_need GROUP...: sets $corpus (corpus_path) and calls die when it or
# one of the group folders (e.g. spam-1) is not there.
corpus_need() {
	local g
	corpus=$(corpus_path) || die "no corpus"
	for g in "$@"; do
		[[ -d $corpus/$g ]] || die "corpus group $corpus/$g missing"
	done
}

# build_need TARGET PROGRAM...: each PROGRAM (under $build, e.g.
# bin/whorl-scan) executable; when one is not, `make TARGET` is tried first
# (TARGET empty: not), then die is called if it is still missing. Needs
# $build.
build_need() {
	local target=$1 p
	shift
	for p in "$@"; do
		[[ -x $build/$p || -z $target ]] || make -C "$root" --no-print-directory "$target" >/dev/null 2>&1 || true
		[[ -x $build/$p ]] || die "$build/$p missing (run make ${target:-all} first)"
	done
}

# corpus_gateway WORK "SPAM_GROUPS" LEGIT_GROUP [CFG_LINE...]: a gateway on
# the corpus, the one way the corpus benches and tests make it. A key pair in
# WORK/keys; the groups SPAM_GROUPS (e.g. "spam-1 spam-2") published as spam
# with LEGIT_GROUP as legitimate mail to WORK/mirror (log: WORK/publish.log);
# WORK/etc holding cartridge.cfg (that mirror read before init, cache in
# WORK/etc/cache, then each CFG_LINE) and the categories file. Needs $corpus
# (corpus_path's answer), $build and $root; calls die when a step fails.
corpus_gateway() {
	local work=$1 spam=$2 legit=$3 g
	shift 3
	local cats=()
	for g in $spam; do cats+=(--category "spam=$corpus/$g"); done
	"$build/bin/whorl-keygen" "$work/keys" >/dev/null || die "whorl-keygen failed"
	"$build/bin/whorl-publish" --key "$work/keys/publisher.key" --out "$work/mirror" \
		"${cats[@]}" --legit "$corpus/$legit" >"$work/publish.log" 2>&1 \
		|| { cat "$work/publish.log" >&2; die "whorl-publish failed"; }
	mkdir -p "$work/etc/cache"
	{
		echo "micro-update url = file://$work/mirror"
		echo "publisher key = $work/keys/publisher.pub"
		echo "enable micro-updates = yes"
		echo "download micro-updates before init = yes"
		echo "micro-update cache path = $work/etc/cache"
		echo "favor analysis over speed = yes"
		for g in "$@"; do echo "$g"; done
	} >"$work/etc/cartridge.cfg"
	cp "$root/etc/categories" "$work/etc/" || die "no $root/etc/categories"
}
