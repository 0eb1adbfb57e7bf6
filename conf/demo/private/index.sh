#!/bin/sh
# The protected page: who is logged in and the session mod_session hands
# over (HTTP_SESSION, decoded and opened). ?key=K&value=V adds a key through
# the X-Replace-Session response header (SessionHeader).

# The value of query parameter $1, still URL-encoded; only characters URL
# encoding produces are kept, so nothing else can reach a header.
param() {
    printf '%s' "&$QUERY_STRING" | sed -n "s/.*&$1=\([A-Za-z0-9%+._~*-]*\).*/\1/p"
}

# URL-decodes, then HTML-escapes, stdin.
show() {
    sed 's/+/ /g; s/%\([0-9A-Fa-f][0-9A-Fa-f]\)/\\x\1/g' | xargs -0 printf '%b' |
        sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g'
}

key=$(param key)
printf 'Content-Type: text/html; charset=utf-8\r\n'
if [ -n "$key" ]; then
    # Apply the change and come back, so that a reload does not repeat it.
    printf 'X-Replace-Session: %s=%s\r\nStatus: 303 See Other\r\nLocation: /private/\r\n\r\n' \
        "$key" "$(param value)"
    exit 0
fi
printf '\r\n'
cat <<HTML
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Protected</title></head><body>
<h1>Protected area</h1>
<p>Logged in as <strong id="user">$(printf '%s' "$REMOTE_USER" | show)</strong>.</p>
<h2>Your session</h2>
<table id="session" border="1">
<tr><th>key</th><th>value</th></tr>
HTML
printf '%s\n' "$HTTP_SESSION" | tr '&' '\n' | while IFS='=' read -r k v; do
    [ -n "$k" ] || continue
    # mod_auth_form keeps the password in the (sealed) session: not shown.
    case "$k" in pw | *-pw) v='(hidden)' ;; esac
    printf '<tr><td>%s</td><td>%s</td></tr>\n' "$(printf '%s' "$k" | show)" "$(printf '%s' "$v" | show)"
done
cat <<HTML
</table>
<form action="/private/" method="get">
<input name="key" placeholder="key" required> <input name="value" placeholder="value">
<button>Add to the session</button>
</form>
<p><a id="logout" href="/logout">Log out</a> | <a href="/">Home</a></p>
</body></html>
HTML
