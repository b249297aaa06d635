// Package ctxwait waits for a while unless a context ends first: the
// pause between retries, reconnects and paced sends.
//
//	if err := ctxwait.Sleep(ctx, backoff); err != nil {
//		return err // ctx ended: stop retrying
//	}
package ctxwait
