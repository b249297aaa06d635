package sim

import (
	"net"
	"os"
	"testing"
)

const procNetTCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 654321 1 0000000000000000 20 4 30 10 -1
   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0
`

func TestListeningInodes(t *testing.T) {
	got := ListeningInodes([]byte(procNetTCP), 8080)
	if len(got) != 1 || got[0] != 123456 {
		t.Errorf("port 8080: %v, want [123456] (the established socket is not a listener)", got)
	}
	if got := ListeningInodes([]byte(procNetTCP), 22); len(got) != 1 || got[0] != 777 {
		t.Errorf("port 22: %v", got)
	}
	if got := ListeningInodes([]byte(procNetTCP), 9); len(got) != 0 {
		t.Errorf("port 9: %v", got)
	}
}

func TestFindListenerSelf(t *testing.T) {
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		t.Skip("no /proc/net/tcp on this system")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pid, err := FindListener(ln.Addr().(*net.TCPAddr).Port)
	if err != nil {
		t.Skipf("cannot see socket owners here: %v", err)
	}
	if pid != os.Getpid() {
		t.Errorf("FindListener = %d, want this process %d", pid, os.Getpid())
	}
}

func FuzzListeningInodes(f *testing.F) {
	f.Add([]byte(procNetTCP), 8080)
	f.Add([]byte("h\n 0: :: 0A a b c d e x\n"), 0)
	f.Fuzz(func(t *testing.T, b []byte, port int) {
		for _, ino := range ListeningInodes(b, port) {
			if ino == 0 {
				t.Fatal("inode 0 returned")
			}
		}
	})
}
