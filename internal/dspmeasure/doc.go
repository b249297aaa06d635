// Package dspmeasure holds the signal measurements used to judge resampler
// quality: a least-squares sine fit (amplitude and residual, for SINAD and
// THD+N), mean power, the power in a frequency band (Hann-windowed FFT, for
// alias and image rejection), and decibel conversion.
//
// Both the resample package's quality tests and the bench/resample
// comparison tool measure with these functions, so the figures they report
// come from one method.
//
// A SINAD figure for a tone at f cycles per sample is
//
//	amp, resid := dspmeasure.SineFit(dspmeasure.Int16sToFloat(y), 2*math.Pi*f)
//	sinad := dspmeasure.DB(amp * amp / 2 / dspmeasure.Power(resid))
package dspmeasure
