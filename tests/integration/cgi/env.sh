#!/bin/sh
# Test back end. Query string (parameters separated by '&', taken verbatim):
#   set=K=V,K2=V2   -> "X-Replace-Session: K=V&K2=V2" (',' becomes '&'; "K=" removes K)
#   status=NNN      -> "Status: NNN"
#   cookie=N=V      -> "Set-Cookie: N=V"
# The body dumps, one per line, what the back end saw: NAME=[value] or NAME unset.
set -f
status= replace= cookie=
IFS='&'
for kv in $QUERY_STRING; do
    case $kv in
        set=*) replace=$(printf '%s' "${kv#set=}" | tr ',' '&') ;;
        status=*) status=${kv#status=} ;;
        cookie=*) cookie=${kv#cookie=} ;;
    esac
done
[ -n "$status" ] && printf 'Status: %s\r\n' "$status"
printf 'Content-Type: text/plain\r\n'
[ -n "$replace" ] && printf 'X-Replace-Session: %s\r\n' "$replace"
[ -n "$cookie" ] && printf 'Set-Cookie: %s\r\n' "$cookie"
printf '\r\n'
for v in HTTP_COOKIE HTTP_COOKIE2 HTTP_SESSION REMOTE_USER; do
    if eval "[ -n \"\${$v+x}\" ]"; then
        eval "printf '%s=[%s]\n' $v \"\$$v\""
    else
        printf '%s unset\n' "$v"
    fi
done
