/**
 * The kit's float64 oracle: every op of the engine, and its gradient, written apart from any
 * backend and from engine-api's own implementations (the random numbers are re-derived from the
 * specification's prose), on plain row-major {@code double} arrays. Several methods also return
 * the magnitude of the terms they combine, the scale against which a backend's float32 rounding
 * error is judged. Every method is a pure function of its arguments, safe from any thread;
 * arguments are not validated: the caller passes arrays of the documented lengths.
 */
package dev.kengine.conformance.oracle;
