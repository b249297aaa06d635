package mediatest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
)

// Signature returns the X-Twilio-Signature Twilio sends when it opens a
// Media Streams WebSocket to url: base64(HMAC-SHA1(authToken, url)), the
// request having no parameters. Servers check it with twilio-go's
// client.RequestValidator, as media.Accept does.
func Signature(authToken, url string) string {
	h := hmac.New(sha1.New, []byte(authToken))
	h.Write([]byte(url))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}
