/**
 * The normative specification of the engine's random numbers, with its reference implementation:
 * the Philox4x32-10 block function ({@link dev.kengine.random.Philox}) and how dropout masks and
 * initial weights are derived from (seed, offset, element index), to the bit
 * ({@link dev.kengine.random.CounterRandom}). Every backend reproduces these values exactly; the
 * methods are pure functions, safe from any thread.
 */
package dev.kengine.random;
