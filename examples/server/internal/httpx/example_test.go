package httpx_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/callguard/callguard/examples/server/internal/httpx"
)

func ExampleError() {
	rec := httptest.NewRecorder()
	httpx.Error(rec, httptest.NewRequest("GET", "/v1/calls/CA1", nil), http.StatusNotFound, httpx.CodeCallNotFound, "no call CA1")
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Print(rec.Body.String())
	// Output:
	// 404 application/problem+json
	// {"type":"urn:callguard:problem:call_not_found","title":"Unknown call","status":404,"detail":"no call CA1","instance":"/v1/calls/CA1","code":"call_not_found"}
}
