#!/usr/bin/env bash
# End-to-end test through the real PC/SC stack: a jinka card served over vpcd (card.md,
# "vpcd transport") is driven by scriptor through pcscd and vsmartcard's vpcd reader driver,
# and its answers are checked against what `jinka card show --json` reports.
#
# Usage: JINKA=target/debug/jinka bash .ci/pcsc-test.sh
#   JINKA      the jinka binary (default target/debug/jinka)
#   VPCD_ADDR  where vpcd listens for slot 0 (default 127.0.0.1:35963)
# Installs pcscd, vsmartcard-vpcd and pcsc-tools when missing (needs root), starts
# `pcscd --foreground` when none runs and stops it on exit.
#
# Exit codes: 0 every check passed; 1 a check failed; 2 setup failed (packages, pcscd, reader,
# CLI, card never appeared).
set -euo pipefail

JINKA=${JINKA:-target/debug/jinka}
VPCD_ADDR=${VPCD_ADDR:-127.0.0.1:35963}
READER='Virtual PCD 00 00'
ASN=3104000000012345
PACKAGES=(pcscd vsmartcard-vpcd pcsc-tools)
# Polls are 0.5 s apart: 60 polls wait up to 30 s for pcscd, the reader and the card.
POLLS_MAX=60
SCRIPTOR_TIMEOUT_S=60

TMP=$(mktemp -d)
PCSCD_PID=""
CARD_PID=""

log() { printf 'pcsc-test: %s\n' "$*"; }
die() {
    log "SETUP FAILED: $*" >&2
    exit 2
}

cleanup() {
    local status=$?
    if [ -n "$CARD_PID" ]; then
        kill "$CARD_PID" 2>/dev/null || true
        wait "$CARD_PID" 2>/dev/null || true
    fi
    if [ "$status" -ne 0 ]; then
        for file in serve.log scriptor.err pcscd.log; do
            if [ -s "$TMP/$file" ]; then
                log "--- last lines of $file ---"
                tail -n 30 "$TMP/$file" || true
            fi
        done
    fi
    if [ -n "$PCSCD_PID" ]; then
        kill "$PCSCD_PID" 2>/dev/null || true
        wait "$PCSCD_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
    exit "$status"
}
trap cleanup EXIT

install_packages() {
    local missing=()
    for package in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$package")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        log "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update >"$TMP/apt.log" 2>&1 || { cat "$TMP/apt.log"; die "apt-get update failed"; }
        apt-get install -y "${PACKAGES[@]}" >>"$TMP/apt.log" 2>&1 ||
            { cat "$TMP/apt.log"; die "apt-get install ${PACKAGES[*]} failed"; }
    fi
}

# True when pcscd lists the vpcd reader.
reader_listed() {
    timeout 5 pcsc_scan -r 2>/dev/null | grep -qF "$READER"
}

# True when the vpcd reader holds a card. `pcsc_scan -c -n` prints, per reader, a
# "Reader N: NAME" line followed by a "Card state: ..." line.
card_present() {
    timeout 5 pcsc_scan -c -n 2>/dev/null | awk -v reader="$READER" '
        /^ *Reader [0-9]+: / { name = $0; sub(/^ *Reader [0-9]+: /, "", name); sub(/ +$/, "", name); next }
        /Card state:/ && name == reader && /Card inserted/ { found = 1 }
        END { exit !found }'
}

start_pcscd() {
    if pgrep -x pcscd >/dev/null; then
        log "using the pcscd already running"
    else
        log "starting pcscd"
        pcscd --foreground >"$TMP/pcscd.log" 2>&1 &
        PCSCD_PID=$!
    fi
    local poll
    for ((poll = 0; poll < POLLS_MAX; poll++)); do
        if reader_listed; then
            log "pcscd ready, reader '$READER' listed"
            return 0
        fi
        if [ -n "$PCSCD_PID" ] && ! kill -0 "$PCSCD_PID" 2>/dev/null; then
            die "pcscd exited"
        fi
        sleep 0.5
    done
    die "reader '$READER' not listed by pcscd (is the vpcd driver loaded? restart pcscd after installing vsmartcard-vpcd)"
}

make_card() {
    "$JINKA" keys new --profile sm4 --out "$TMP/issuer.json" || die "jinka keys new failed"
    "$JINKA" card new --keys "$TMP/issuer.json" --asn "$ASN" --out "$TMP/card.jcard" ||
        die "jinka card new failed"
    "$JINKA" card show "$TMP/card.jcard" --json >"$TMP/card.json" || die "jinka card show failed"
}

# Prints "AID BALANCE_FEN" of the e-purse application in `card show --json`.
e_purse_of() {
    python3 - "$1" <<'PY'
import json, re, sys

with open(sys.argv[1]) as file:
    card = json.load(file)
purses = [app for app in card.get("applications", []) if app.get("kind") == "e-purse"]
if len(purses) != 1:
    sys.exit(f"expected one e-purse application, found {len(purses)}")
aid = re.sub(r"[\s:]", "", str(purses[0].get("aid", ""))).upper()
balance = purses[0].get("balance_fen")
if not re.fullmatch(r"(?:[0-9A-F]{2}){5,16}", aid):
    sys.exit(f"e-purse aid {aid!r} is not 5 to 16 bytes of hex")
if not isinstance(balance, int) or isinstance(balance, bool) or not 0 <= balance < 2**32:
    sys.exit(f"e-purse balance_fen {balance!r} is not a 4-byte amount")
print(aid, balance)
PY
}

# start_card IMAGE
start_card() {
    card_present && die "reader '$READER' already holds a card: another card serves vpcd slot 0"
    log "starting jinka card serve $1 --vpcd $VPCD_ADDR"
    "$JINKA" card serve "$1" --vpcd "$VPCD_ADDR" >"$TMP/serve.log" 2>&1 &
    CARD_PID=$!
    local poll
    for ((poll = 0; poll < POLLS_MAX; poll++)); do
        if card_present; then
            log "card present in '$READER'"
            return 0
        fi
        kill -0 "$CARD_PID" 2>/dev/null || die "jinka card serve exited"
        sleep 0.5
    done
    die "no card appeared in '$READER'"
}

# Prints one line per answer in scriptor's output, as hex without spaces. scriptor prints
# "< 90 00 : Normal processing." and wraps answers after every 16 bytes.
answers_of() {
    python3 - "$1" <<'PY'
import re, sys

with open(sys.argv[1]) as file:
    transcript = file.read()
for answer in re.finditer(r"^< ((?:[0-9A-Fa-f]{2}\s+)+):", transcript, re.M):
    print("".join(answer.group(1).split()).upper())
PY
}

FAILED=0
PASSED=0
# check NAME OK EXPECTED GOT
check() {
    if [ "$2" = true ]; then
        PASSED=$((PASSED + 1))
        log "PASS $1: $4"
    else
        FAILED=$((FAILED + 1))
        log "FAIL $1: expected $3, got '${4:-no answer}'"
    fi
}

[ -x "$JINKA" ] || die "no jinka binary at $JINKA (set JINKA)"
install_packages
command -v python3 >/dev/null || die "python3 is needed to read JSON and scriptor's output"
start_pcscd
make_card
PURSE=$(e_purse_of "$TMP/card.json") || die "cannot read the e-purse from card show --json"
read -r AID BALANCE_FEN <<<"$PURSE"
log "e-purse AID $AID, balance $BALANCE_FEN fen"
start_card "$TMP/card.jcard"

SELECT=$(printf '00A40400%02X%s' "$((${#AID} / 2))" "$AID")
GET_BALANCE=805C000204
READ_RECORD=00B201C417 # record 1 of the transaction log, SFI 0x18
READ_BINARY=00B095001E # 30 bytes of EF 0x15, the issuer/application data
# scriptor accepts a command either as bytes separated by spaces or as one run of hex.
printf '%s\n' "$SELECT" "$GET_BALANCE" "$READ_RECORD" "$READ_BINARY" >"$TMP/apdus.txt"
SCRIPTOR_STATUS=0
timeout "$SCRIPTOR_TIMEOUT_S" scriptor -r "$READER" <"$TMP/apdus.txt" \
    >"$TMP/scriptor.out" 2>"$TMP/scriptor.err" || SCRIPTOR_STATUS=$?
cat "$TMP/scriptor.out"
[ "$SCRIPTOR_STATUS" -eq 0 ] || log "scriptor exited with status $SCRIPTOR_STATUS"
ANSWERS=$(answers_of "$TMP/scriptor.out") || die "cannot parse scriptor's output"
mapfile -t ANSWER <<<"$ANSWERS"

select=${ANSWER[0]:-}
ok=false
[[ $((${#select} % 2)) -eq 0 && $select == *9000 ]] && ok=true
check "SELECT e-purse $AID" "$ok" "an answer ending 90 00" "$select"

balance=${ANSWER[1]:-}
expected_balance=$(printf '%08X9000' "$BALANCE_FEN")
ok=false
[[ $balance == "$expected_balance" ]] && ok=true
check "GET BALANCE = $BALANCE_FEN fen" "$ok" "$expected_balance" "$balance"

record=${ANSWER[2]:-}
ok=false
[[ $record == 6A83 ]] && ok=true
check "READ RECORD 1 of the empty log" "$ok" "6A83 (record not found)" "$record"

binary=${ANSWER[3]:-}
ok=false
# 30 bytes then 90 00; bytes 12..20 are the last 8 bytes of the application serial: the ASN.
[[ ${#binary} -eq 64 && ${binary:60:4} == 9000 && ${binary:24:16} == "$ASN" ]] && ok=true
check "READ BINARY EF 0x15 holds ASN $ASN" "$ok" "30 bytes with bytes 12..20 = $ASN, then 9000" "$binary"

# A terminal drives the served card through pcscd (jinka built with the `pcsc` feature):
# a load authorized locally, then a purchase, then the balance; the served card saves its
# image after each command, so `card show` agrees once it has left the reader.
if [ "${JINKA_TERMINAL_READER:-0}" = 1 ]; then
    "$JINKA" sam new --keys "$TMP/issuer.json" --terminal-id 000000003001 --out "$TMP/sam.json" 2>/dev/null ||
        die "jinka sam new failed"
    terminal() {
        "$JINKA" terminal "$@" --reader "$READER" --sam "$TMP/sam.json" --at 20261127090000 --json 2>>"$TMP/terminal.err"
    }
    answer=$(terminal load --amount 20 --authorizer "$TMP/issuer.json" || true)
    ok=false
    [[ $answer == *'"type":"load"'* && $answer == *'"amount":2000'* ]] && ok=true
    check "terminal load of 20.00 over PC/SC" "$ok" "a load record of 2000 fen" "$answer"
    answer=$(terminal purchase --amount 3.50 || true)
    ok=false
    [[ $answer == *'"type":"purchase"'* && $answer == *'"amount":350'* && $answer == *'"balance_before":2000'* ]] && ok=true
    check "terminal purchase of 3.50 over PC/SC" "$ok" "a purchase record of 350 fen from 2000" "$answer"
    answer=$(terminal balance || true)
    ok=false
    [[ $answer == *'"balance_fen":1650'* ]] && ok=true
    check "terminal balance over PC/SC" "$ok" "balance_fen 1650" "$answer"
fi

# A card with history: `jinka demo` loads 100.00, buys for 12.50 and rides the metro (entry,
# then exit with a 3.00 fare), so the newest log record is the exit's compound purchase.
stop_card() {
    kill "$CARD_PID" 2>/dev/null || true
    wait "$CARD_PID" 2>/dev/null || true
    CARD_PID=
    local poll
    for ((poll = 0; poll < POLLS_MAX; poll++)); do
        card_present || return 0
        sleep 0.5
    done
    die "the first card did not leave '$READER'"
}
stop_card
if [ "${JINKA_TERMINAL_READER:-0}" = 1 ]; then
    "$JINKA" card show "$TMP/card.jcard" --json >"$TMP/card.json" || die "jinka card show failed"
    PURSE=$(e_purse_of "$TMP/card.json") || die "cannot read the e-purse from card show --json"
    read -r _ BALANCE_FEN <<<"$PURSE"
    ok=false
    [ "$BALANCE_FEN" = 1650 ] && ok=true
    check "the served card's image keeps the balance" "$ok" "1650" "$BALANCE_FEN"
fi
"$JINKA" demo --card "$TMP/demo.jcard" >"$TMP/demo.out" || die "jinka demo failed"
start_card "$TMP/demo.jcard"
printf '%s\n' "$SELECT" "$GET_BALANCE" "$READ_RECORD" 00B202C417 >"$TMP/apdus.txt"
timeout "$SCRIPTOR_TIMEOUT_S" scriptor -r "$READER" <"$TMP/apdus.txt" >"$TMP/scriptor.out" 2>"$TMP/scriptor.err" || true
cat "$TMP/scriptor.out"
ANSWERS=$(answers_of "$TMP/scriptor.out") || die "cannot parse scriptor's output"
mapfile -t ANSWER <<<"$ANSWERS"
balance=${ANSWER[1]:-}
ok=false
[[ $balance == 000021029000 ]] && ok=true
check "GET BALANCE of the demo card = 8450 fen" "$ok" "000021029000" "$balance"
record=${ANSWER[2]:-}
ok=false
# ATC(2) overdraft(3) amount(4) type(1) terminal(6) date(4) time(3), then 90 00.
[[ ${#record} -eq 50 && ${record:10:8} == 0000012C && ${record:18:2} == 09 && ${record:46:4} == 9000 ]] && ok=true
check "READ RECORD 1 of the log: the 3.00 compound purchase" "$ok" "23 bytes, amount 0000012C, type 09, then 9000" "$record"
record=${ANSWER[3]:-}
ok=false
[[ ${#record} -eq 50 && ${record:10:8} == 00000000 && ${record:18:2} == 09 ]] && ok=true
check "READ RECORD 2 of the log: the zero-amount entry" "$ok" "23 bytes, amount 0, type 09, then 9000" "$record"

log "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ] || exit 1
