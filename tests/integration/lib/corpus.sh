# corpus.sh - where the SpamAssassin corpus is: sourced by the bash scripts
# that need it (tests/bench/accuracy.sh, tests/integration/lib/determinism.sh).
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
