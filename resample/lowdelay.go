package resample

// The 2x interpolator at High (8 kHz -> 16 kHz) must hold back at most
// 3 ms, 48 output samples. A linear-phase filter that short is a 95-tap
// half-band: its interpolating branch has 24 taps ahead of the point it
// interpolates and 24 behind, and its best (minimax) image rejection over
// tones up to 0.85 of the input Nyquist frequency is 116 dB. Linear phase
// is not needed for that, only a flat passband and a delay that does not
// depend on frequency within it. So the interpolating branch here keeps
// the 24 taps ahead (the delay budget) and has 64 behind: 88 taps that
// approximate a delay of 23.5 input samples with a complex error below
// -140 dB over the passband, i.e. 146 dB image rejection, and a group delay
// that is flat there to the same accuracy. The other branch still copies
// the input, bit for bit. The taps were designed by complex minimax
// (Lawson's iteratively reweighted least squares over [0, 0.425] cycles
// per sample), with a weighted bound on the response above 0.48 so that
// the transition band lets through no more of the input's noise than the
// half-band does (that noise is what limits 16-bit SINAD). The design
// (designLowDelay) and its checks are in lowdelay_test.go; run
// `go test -run LowDelay -v -regen-lowdelay` to print them again.

const (
	lowDelayTaps   = 88 // interpolating branch length
	lowDelayFuture = 24 // of which ahead of the interpolated point
)

// lowDelayOdd returns the interpolating branch in convolution order:
// g[0] multiplies the newest input sample.
func lowDelayOdd() []float64 {
	return []float64{
		-6.1481717651364636e-07, 2.5378555259907073e-06, -7.5902243443214541e-06, 1.8996249909683489e-05,
		-4.2265887596077125e-05, 8.6325755056853722e-05, -0.00016495853414438529, 0.00029870060266965994,
		-0.00051716581116556352, 0.00086199308491184527, -0.0013904778968772842, 0.0021802774892098653,
		-0.0033356412892629624, 0.0049963242794036486, -0.0073511655426722186, 0.010660623699066197,
		-0.015297026411459495, 0.021822563378510088, -0.031154017518293203, 0.04495076521776746,
		-0.066674162795137132, 0.10520047771152666, -0.19290583688224744, 0.62083395206042113,
		0.64820759926780047, -0.21895241307547966, 0.12865453515173544, -0.08639033669282159,
		0.059956075811671596, -0.040691356340589742, 0.025383179850067428, -0.012640434633269741,
		0.0018210295071359771, 0.00736974078314734, -0.015056978230235914, 0.021285920157956162,
		-0.026072004439879139, 0.029430757731022182, -0.03139590722460367, 0.032029793754945753,
		-0.031428073434604104, 0.029720021908940804, -0.02706526154113139, 0.023647779366008159,
		-0.019667931179799394, 0.015333289149414044, -0.010849029812521482, 0.0064086727098684303,
		-0.00218574923965044, -0.0016729851282055494, 0.0050524794651850696, -0.007872159416984081,
		0.010086565416205331, -0.011683897643869538, 0.012682797085302558, -0.013127659273873849,
		0.013082994229976771, -0.012627235292439436, 0.011846532241874076, -0.010828878181396051,
		0.0096589851896452979, -0.0084140910555166332, 0.00716091395911403, -0.0059537321525950171,
		0.0048336084130239446, -0.0038285668905888195, 0.0029546084367667261, -0.0022172843578251358,
		0.0016136712370102527, -0.0011344681957780954, 0.00076609555645649281, -0.00049258180452245752,
		0.00029719880674047139, -0.00016372157392408466, 7.7357613937125528e-05, -2.5298692528305918e-05,
		-3.0004628155573445e-06, 1.5820746673661368e-05, -1.9327189723931474e-05, 1.7864168409303298e-05,
		-1.4277978767134311e-05, 1.0280055007074587e-05, -6.7555193816481266e-06, 4.0549071105022927e-06,
		-2.1987901693025947e-06, 1.0530853348984964e-06, -4.2188952903225873e-07, 1.2779793008943368e-07,
	}
}

// lowDelayHalfband returns the prototype (at twice the input rate) built
// from lowDelayOdd and a unit copy branch, and its delay in output samples.
func lowDelayHalfband() ([]float64, int) {
	g := lowDelayOdd()
	d := 2*lowDelayFuture - 1
	h := make([]float64, 2*len(g)-1)
	for k, v := range g {
		h[2*k] = v / 2
	}
	h[d] = 0.5
	return h, d
}
