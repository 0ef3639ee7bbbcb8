package dev.kengine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * A region whose tensors are closed together. Every tensor created on a thread while a scope is
 * open there belongs to the innermost open scope; closing the scope closes them, newest first.
 * Scopes nest; closing an outer scope first closes the inner ones still open. {@link #keep}
 * hands a tensor to the enclosing scope (or to nobody) so a result can outlive the scope.
 *
 * <p>A scope belongs to the thread that opened it: closing it or calling {@link #keep} from another
 * thread throws {@link InvalidStateException} and changes nothing.
 *
 * <pre>{@code
 * try (Scope step = Scope.open()) {
 *     Tensor h = cpu.relu(x);          // closed when the scope closes
 *     result = step.keep(cpu.sum(h));  // survives it
 * }
 * }</pre>
 */
public final class Scope implements AutoCloseable {
    private static final ThreadLocal<Deque<Scope>> OPEN = ThreadLocal.withInitial(ArrayDeque::new);

    private final Deque<Scope> stack;
    private final Scope parent;
    /**
     * The open tensors, oldest first; guarded by this scope's monitor (a tensor closed on another thread leaves its
     * scope from there). A tensor names its scope ({@link Tensor#scope}), so leaving costs no search of the stack.
     */
    private final java.util.LinkedHashSet<Tensor> tensors = new java.util.LinkedHashSet<>();
    private final Thread owner = Thread.currentThread();
    private volatile boolean closed; // read by close() on any thread once closed

    private Scope(Deque<Scope> stack, Scope parent) {
        this.stack = stack;
        this.parent = parent;
    }

    private void checkOwner(String what) {
        if (Thread.currentThread() != owner) {
            throw new InvalidStateException("a scope can be " + what + " only on the thread that opened it ("
                    + owner.getName() + "), not on " + Thread.currentThread().getName());
        }
    }

    /**
     * Opens a scope on the current thread, nested in the innermost open one. Tensors the current
     * thread creates from now on belong to it until it closes or an inner scope opens.
     *
     * @return the new scope, owned by the current thread; close it on that thread
     */
    public static Scope open() {
        Deque<Scope> stack = OPEN.get();
        Scope s = new Scope(stack, stack.peek());
        stack.push(s);
        return s;
    }

    static void registerWithCurrent(Tensor t) {
        Scope s = OPEN.get().peek();
        if (s != null) {
            s.add(t);
        }
    }

    private synchronized void add(Tensor t) {
        tensors.add(t);
        t.scope = this;
    }

    /**
     * Takes a closed tensor out of its scope, on whichever thread closed it: a tensor made in one thread's scope and
     * closed in another would otherwise stay in the scope, and with it its memory, until the scope closed.
     */
    static void forget(Tensor t) {
        Scope s = t.scope;
        if (s != null) {
            synchronized (s) {
                if (t.scope == s) {
                    s.tensors.remove(t);
                    t.scope = null;
                }
            }
        }
    }

    /**
     * Moves {@code t} out of this scope into the enclosing one (or leaves it unowned); returns it.
     *
     * @param <T> the tensor's type
     * @param t a tensor this scope owns
     * @return {@code t}, for chaining
     * @throws InvalidArgumentException when t is null or not owned by this scope
     * @throws InvalidStateException when the scope is closed or this is not its thread
     */
    public <T extends Tensor> T keep(T t) {
        checkOwner("used");
        if (closed) {
            throw new InvalidStateException("scope is closed; it can no longer keep a tensor");
        }
        if (t == null) {
            throw new InvalidArgumentException("keep: the tensor is null");
        }
        synchronized (this) {
            if (t.scope != this || !tensors.remove(t)) {
                throw new InvalidArgumentException("tensor " + t.shape() + " does not belong to this scope");
            }
            t.scope = null;
        }
        if (parent != null && !parent.closed) {
            parent.add(t);
            if (t.isClosed()) {
                forget(t); // closed on another thread meanwhile: it does not stay in the parent either
            }
        }
        return t;
    }

    /**
     * Number of open tensors this scope owns.
     *
     * @return the tensors created in this scope (or handed to it by an inner one's {@link #keep}), less
     *     those kept or closed since, on any thread
     */
    public synchronized int size() {
        int open = 0;
        for (Tensor t : tensors) {
            open += t.isClosed() ? 0 : 1; // closed, and not yet out of the set
        }
        return open;
    }

    /**
     * Closes the inner scopes still open, then every tensor this scope owns, newest first. Idempotent.
     *
     * @throws InvalidStateException if called on a thread other than the one that opened the scope
     *     (nothing is closed then); a closed scope accepts the call from any thread
     * @throws EngineException if freeing a tensor failed: the first such failure, later ones suppressed
     *     in it, thrown after every tensor was tried
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        checkOwner("closed");
        while (!stack.isEmpty() && stack.peek() != this && stack.contains(this)) {
            stack.peek().close();
        }
        closed = true;
        stack.remove(this);
        List<Tensor> owned;
        synchronized (this) {
            owned = new ArrayList<>(tensors.reversed()); // newest first
            tensors.clear();
            for (Tensor t : owned) {
                t.scope = null;
            }
        }
        RuntimeException failure = null;
        for (Tensor t : owned) {
            try {
                t.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
