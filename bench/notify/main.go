// Command notify measures how fast a notify.Hub fans one event out to many
// Server-Sent Events subscribers over loopback TCP.
//
// It serves a Hub on 127.0.0.1 and starts itself again as a client
// process (two processes, so that neither needs more than n file
// descriptors) that opens n SSE streams and reads them. The server then
// publishes -events events, -interval apart; each carries its publish
// time, and every subscriber records when it has parsed the event. The
// report gives delivery latency percentiles over all subscribers and
// events, the time Notify took, how many events were not delivered, and
// the CPU time each process spent per event.
//
// Each subscriber is a real TCP connection carrying a real HTTP/1.1 GET;
// its response must be 200 with Content-Type text/event-stream. Once it
// has read the ":ok" comment, the client reads the socket from an epoll
// loop (see client.go) instead of a goroutine and net/http's reader, so
// that the client, which shares the machine's cores with the server,
// costs one read(2) per event and stream: it de-chunks the bytes, splits
// SSE frames at the blank line and parses the publish time out of each
// event's data.
//
//	go run ./bench/notify -n 10000 -events 20
//
// -cpuprofile writes the server's CPU profile of the publishing phase;
// -v prints each event's latency percentiles.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"syscall"
	"time"

	"github.com/callguard/callguard/internal/selfcpu"
	"github.com/callguard/callguard/notify"
)

type config struct {
	n        int
	events   int
	interval time.Duration
	queue    int
	addr     string
	client   bool
	profile  string
	loops    int
	verbose  bool
}

// result is what the client process reports, as one JSON line.
type result struct {
	Subscribers int                `json:"subscribers"`
	Expected    int                `json:"expected"`
	Received    int                `json:"received"`
	Ended       int                `json:"ended"` // streams that ended early
	Latencies   []time.Duration    `json:"latencies"`
	DialTime    time.Duration      `json:"dial_time"`
	CPU         time.Duration      `json:"cpu"`       // user+system time while receiving
	PerEvent    [][3]time.Duration `json:"per_event"` // p50, p99, max of each event
}

func main() {
	var c config
	flag.IntVar(&c.n, "n", 10000, "SSE subscribers")
	flag.IntVar(&c.events, "events", 20, "events to publish")
	flag.DurationVar(&c.interval, "interval", 250*time.Millisecond, "time between events")
	flag.IntVar(&c.queue, "queue", notify.DefaultQueueSize, "HubOptions.QueueSize")
	flag.StringVar(&c.addr, "addr", "", "server address (client process only)")
	flag.BoolVar(&c.client, "client", false, "run as the client process")
	flag.IntVar(&c.loops, "loops", 1, "epoll loops reading the streams (client process)")
	flag.BoolVar(&c.verbose, "v", false, "print each event's latency percentiles")
	flag.StringVar(&c.profile, "cpuprofile", "", "write the server's CPU profile of the publishing phase to this file")
	flag.Parse()
	if err := raiseFileLimit(c.n + 256); err != nil {
		fmt.Fprintln(os.Stderr, "notify bench:", err)
		os.Exit(1)
	}
	var err error
	if c.client {
		err = runClients(c)
	} else {
		err = runServer(c)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "notify bench:", err)
		os.Exit(1)
	}
}

// raiseFileLimit lifts RLIMIT_NOFILE's soft limit to at least need, as
// far as the hard limit allows.
func raiseFileLimit(need int) error {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return err
	}
	if rl.Cur >= uint64(need) {
		return nil
	}
	rl.Cur = min(max(uint64(need), rl.Cur), rl.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return err
	}
	if rl.Cur < uint64(need) {
		return fmt.Errorf("need %d file descriptors, hard limit is %d", need, rl.Max)
	}
	return nil
}

func runServer(c config) error {
	hub := notify.NewHub(notify.HubOptions{QueueSize: c.queue, Heartbeat: -1})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(hub.ServeSSE)}
	go srv.Serve(ln)
	defer srv.Close()

	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, "-client", "-addr", ln.Addr().String(),
		"-n", fmt.Sprint(c.n), "-events", fmt.Sprint(c.events), "-loops", fmt.Sprint(c.loops))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer cmd.Wait()
	lines := bufio.NewReader(out)
	if l, err := lines.ReadString('\n'); err != nil || l != "READY\n" {
		return fmt.Errorf("client did not get ready: %q %v", l, err)
	}
	if w := hub.Stats().Watchers; w != c.n {
		return fmt.Errorf("%d watchers subscribed, want %d", w, c.n)
	}

	if c.profile != "" {
		f, err := os.Create(c.profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var notifyTimes []time.Duration
	cpu0 := selfcpu.Used()
	for i := range c.events {
		time.Sleep(c.interval)
		t0 := time.Now()
		data := fmt.Appendf(nil, `{"t":%d,"seq":%d}`, t0.UnixNano(), i)
		if err := hub.Notify(context.Background(), notify.Event{Type: notify.TypeVerdict, CallSid: "CA0", Data: data}); err != nil {
			return err
		}
		notifyTimes = append(notifyTimes, time.Since(t0))
	}
	l, err := lines.ReadString('\n')
	if err != nil {
		return fmt.Errorf("client result: %w", err)
	}
	var r result
	if err := json.Unmarshal([]byte(l), &r); err != nil {
		return err
	}
	serverCPU := selfcpu.Used() - cpu0
	st := hub.Stats()
	hub.Close()

	lat := r.Latencies
	slices.Sort(lat)
	slices.Sort(notifyTimes)
	fmt.Printf("go %s %s/%s, GOMAXPROCS=%d, %d CPUs\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Printf("subscribers        %d (connected in %v)\n", r.Subscribers, r.DialTime.Round(time.Millisecond))
	fmt.Printf("events             %d, %v apart, QueueSize %d\n", c.events, c.interval, c.queue)
	fmt.Printf("deliveries         %d of %d expected; %d not delivered; %d streams ended early; %d watchers evicted\n",
		r.Received, r.Expected, r.Expected-r.Received, r.Ended, st.Evicted)
	fmt.Printf("delivery latency   p50 %v  p90 %v  p99 %v  max %v\n",
		pct(lat, 50), pct(lat, 90), pct(lat, 99), pct(lat, 100))
	fmt.Printf("Notify call        p50 %v  max %v (fan-out to %d queues)\n",
		pct(notifyTimes, 50), pct(notifyTimes, 100), r.Subscribers)
	fmt.Printf("CPU per event      server %v, client %v (user+system)\n",
		(serverCPU / time.Duration(c.events)).Round(100*time.Microsecond),
		(r.CPU / time.Duration(c.events)).Round(100*time.Microsecond))
	if c.verbose {
		for i, p := range r.PerEvent {
			fmt.Printf("event %2d           p50 %v  p99 %v  max %v\n", i, p[0], p[1], p[2])
		}
	}
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Printf("load average       %s", la)
	}
	return nil
}

func pct(s []time.Duration, p int) time.Duration {
	if len(s) == 0 {
		return 0
	}
	i := (len(s)*p+99)/100 - 1
	return s[max(0, min(i, len(s)-1))].Round(10 * time.Microsecond)
}
