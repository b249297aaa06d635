package resample_test

import (
	"fmt"
	"log"

	"github.com/callguard/callguard/resample"
)

func Example() {
	r, err := resample.New(8000, 16000) // Twilio 8 kHz to a 16 kHz model
	if err != nil {
		log.Fatal(err)
	}
	frame := make([]int16, 160) // one 20 ms Twilio frame
	var out []int16
	for range 50 { // one second
		out = r.Process(out, frame)
	}
	out = r.Flush(out)
	fmt.Println(len(out), "samples, delay", r.Delay(), "samples")
	// Output: 16000 samples, delay 47 samples
}

func ExampleResampler_Process_reuse() {
	r, _ := resample.New(8000, 48000)
	frame := make([]int16, 160)
	buf := make([]int16, 0, 1024)
	for range 3 {
		buf = r.Process(buf[:0], frame) // no allocation once buf is big enough
		fmt.Println(len(buf))
	}
	// Output:
	// 667
	// 960
	// 960
}

func ExampleNewWriter() {
	var total int
	sink := resample.SampleWriterFunc(func(s []int16) error {
		total += len(s) // e.g. detect.Session.Write
		return nil
	})
	w, err := resample.NewWriter(sink, 8000, 16000, resample.WithQuality(resample.High))
	if err != nil {
		log.Fatal(err)
	}
	for range 10 {
		w.Write(make([]int16, 160))
	}
	w.Close()
	fmt.Println(total)
	// Output: 3200
}

func ExampleNew_errors() {
	_, err := resample.New(0, 16000)
	fmt.Println(err)
	_, err = resample.New(1, 384000)
	fmt.Println(err)
	// Output:
	// resample: invalid sample rate: 0 Hz -> 16000 Hz: rates must be between 1 and 768000 Hz
	// resample: unsupported conversion ratio: 1 Hz -> 384000 Hz: reduced ratio 384000/1 needs 384000 filter phases (max 4096)
}
