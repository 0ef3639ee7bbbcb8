/**
 * What selects and tunes an op: the list of ops a backend may implement ({@link dev.kengine.op.Op}),
 * activations, losses, reductions, weight initialisations and optimiser settings. Every type here
 * is an immutable value, safe to share between threads, that checks its parameters when made and
 * throws {@link dev.kengine.InvalidArgumentException} for a bad one. The exact formulas, and the few
 * deliberate departures from plain IEEE evaluation, are in each type's comment.
 */
package dev.kengine.op;
