#!/bin/sh
# Demo back end: shows the session mod_session hands over (HTTP_SESSION),
# adds a key (?key=K&value=V) or clears it (?clear=1) through the
# X-Replace-Session response header (SessionHeader).

# The value of query parameter $1, still URL-encoded; only characters that
# URL encoding produces are kept, so nothing else can reach a header.
param() {
    printf '%s' "&$QUERY_STRING" | sed -n "s/.*&$1=\([A-Za-z0-9%+._~*-]*\).*/\1/p"
}

# HTML-escapes stdin after URL-decoding it.
show() {
    sed 's/+/ /g; s/%\([0-9A-Fa-f][0-9A-Fa-f]\)/\\x\1/g' | xargs -0 printf '%b' |
        sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g'
}

key=$(param key)
value=$(param value)
update=
if [ -n "$key" ]; then
    update="$key=$value"
elif [ -n "$(param clear)" ]; then
    # An empty value removes a key; the expiry is mod_session's own.
    update=$(printf '%s' "$HTTP_SESSION" | tr '&' '\n' | sed -n 's/^\([^=]*\)=.*/\1=/p' |
        grep -v '^expiry=$' | paste -sd '&' -)
fi

printf 'Content-Type: text/html; charset=utf-8\r\n'
if [ -n "$update" ]; then
    # Apply the change and come back here, so a reload does not repeat it.
    printf 'X-Replace-Session: %s\r\nStatus: 303 See Other\r\nLocation: /app\r\n\r\n' "$update"
    exit 0
fi
printf '\r\n'
cat <<HTML
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Session</title></head><body>
<h1>Your session</h1>
<table border="1">
<tr><th>key</th><th>value</th></tr>
HTML
printf '%s' "$HTTP_SESSION" | tr '&' '\n' | while IFS='=' read -r k v; do
    [ -n "$k" ] || continue
    printf '<tr><td>%s</td><td>%s</td></tr>\n' "$(printf '%s' "$k" | show)" "$(printf '%s' "$v" | show)"
done
cat <<HTML
</table>
<form action="/app" method="get">
<input name="key" placeholder="key" required> <input name="value" placeholder="value">
<button>Set</button>
</form>
<p><a href="/app?clear=1">Clear the session</a> | <a href="/">Home</a></p>
<p>The back end never sees the cookie itself (SessionCookieRemove On):
HTTP_COOKIE is "<code>$(printf '%s' "$HTTP_COOKIE" | show)</code>".</p>
</body></html>
HTML
