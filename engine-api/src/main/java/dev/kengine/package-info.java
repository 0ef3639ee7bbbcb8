/**
 * The engine's public API: open a {@link dev.kengine.Backend} with {@link dev.kengine.Engine}, make
 * {@link dev.kengine.Tensor}s with it (float32, float16, bfloat16, int32 or uint8; rank 0 to 4, row-major) and run ops
 * on them.
 *
 * <p>Contract, for every type here: arguments are checked once, in {@code Backend}, before any work
 * starts, in one order for every op (tensors read or updated, then what selects the op, then
 * scalars, then result tensors); every failure is an {@link dev.kengine.EngineException} of a small
 * sealed family ({@link dev.kengine.InvalidArgumentException}, {@link dev.kengine.InvalidStateException},
 * {@link dev.kengine.UnsupportedOpException}, {@link dev.kengine.DeviceOutOfMemoryException},
 * {@link dev.kengine.DeviceException}, {@link dev.kengine.KernelCompilationException},
 * {@link dev.kengine.BackendUnavailableException}) and the backend stays usable after it. Ops may
 * be called from several threads; a {@link dev.kengine.Scope} belongs to the thread that opened it.
 * Tensors are closed by hand, by their scope or by their backend; one that leaks is freed by the
 * garbage collector and reported.
 */
package dev.kengine;
