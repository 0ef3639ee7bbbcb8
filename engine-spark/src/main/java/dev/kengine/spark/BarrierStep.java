package dev.kengine.spark;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkException;
import org.apache.spark.rdd.RDD;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * One training step as a barrier stage ({@code rdd.barrier().mapPartitions}): every task computes
 * its shards' gradient share exactly as {@link StepTask} does, then all tasks exchange their shares
 * with {@link BarrierTaskContext#allGather} (a Java-serialised {@link GradientSum} as a Base64
 * string), and each sums all shares in partition order. The sums are equal on every task; the
 * task of partition 0 returns it, the others return nothing, so the driver receives one gradient
 * and applies the same optimiser update as the {@code treeAggregate} path.
 *
 * <p><b>Retries.</b> Spark's {@code DAGScheduler.handleTaskCompletion} resubmits a failed barrier
 * stage as a whole only when it is a shuffle-map stage; when a task of a barrier <em>result</em>
 * stage fails, it aborts the job ("Could not recover from a failed barrier ResultStage. Most recent
 * failure reason: ..."). A step is a result stage (making it the map side of a one-partition
 * shuffle, which Spark would retry, measured about twice the step time here), so {@link #run} does
 * what Spark's stage retry would do: it runs the step's barrier stage again, all of its tasks, up to
 * {@code spark.stage.maxConsecutiveAttempts} (4) attempts in all. Nothing a task does changes the
 * parameters, so a retried step sums the same gradient.
 *
 * <p><b>Waking the all-gather.</b> Spark 4.2's {@code BarrierTaskContext.runBarrier} (behind {@code
 * allGather} and {@code barrier}) sends its request to the driver's {@code BarrierCoordinator} with
 * {@code askAbortable} and then waits with {@code while (!future.isCompleted) Thread.sleep(1000)},
 * checking between sleeps whether the task was killed (SPARK-31472). The coordinator answers every
 * task as soon as the last one arrives, but each task sees the answer only when its current 1-second
 * sleep ends: every barrier costs about 1 s, whatever the payload. An {@code InterruptedException}
 * in that sleep is caught and only leads to the kill check, so this class calls {@code allGather}
 * on a helper thread and interrupts that thread every {@code wakeMicros} until the call returns;
 * the wait then ends within {@code wakeMicros} of the coordinator's answer. The task's own thread is
 * never interrupted. {@link #WAKE_MICROS} = 0 calls {@code allGather} on the task thread (Spark's
 * own 1-second polling).
 */
final class BarrierStep extends AbstractFunction1<scala.collection.Iterator<Shard>, scala.collection.Iterator<GradientSum>>
        implements Serializable {
    private static final long serialVersionUID = 2L;
    /**
     * Spark setting (or local property of the driver's thread, which wins): how often, in microseconds,
     * the all-gather's helper thread is woken; 0 for Spark's 1-second polling.
     */
    static final String WAKE_MICROS = "spark.kengine.barrier.wakeMicros";
    /** Default of {@link #WAKE_MICROS}. */
    static final long DEFAULT_WAKE_MICROS = 1000;
    private static final System.Logger LOG = System.getLogger(BarrierStep.class.getName());
    private static final ClassTag<GradientSum> TAG = ClassTag$.MODULE$.apply(GradientSum.class);

    private final StepTask task;
    private final long wakeMicros;

    BarrierStep(StepTask task, long wakeMicros) {
        this.task = task;
        this.wakeMicros = wakeMicros;
    }

    /** A step's gradient sum, and how many times its barrier stage was run again after a task failed. */
    record Outcome(GradientSum sum, int retries) {}

    /** The start of the message of the job abort that a failed task of a barrier result stage causes (Spark 4.2). */
    static final String ABORTED_BARRIER_RESULT_STAGE = "Could not recover from a failed barrier ResultStage";

    /**
     * Runs the step as a barrier stage over {@code shards} (at most one partition per task slot) and
     * returns the one sum; a stage attempt that failed because one of its tasks failed is run again, up to
     * {@code spark.stage.maxConsecutiveAttempts} attempts in all (see the class comment).
     */
    static Outcome run(RDD<Shard> shards, StepTask task) {
        SparkConf conf = shards.context().getConf();
        long wake = wakeMicros(shards.context());
        int attempts = Math.max(1, conf.getInt("spark.stage.maxConsecutiveAttempts", 4));
        for (int attempt = 1; ; attempt++) {
            try {
                return new Outcome(runOnce(shards, task, wake), attempt - 1);
            } catch (Exception e) {
                // Scala throws the checked SparkException undeclared.
                if (attempt >= attempts || !(e instanceof SparkException) || !isFailedBarrierStage(e)
                        || shards.context().isStopped()) {
                    throw BarrierStep.<RuntimeException>sneaky(e);
                }
                LOG.log(System.Logger.Level.WARNING, "step {0}: a task of the barrier stage failed (attempt {1} of {2});"
                        + " running the step again: {3}", task.step(), attempt, attempts, e.getMessage());
            }
        }
    }

    /** Whether {@code e} is the job abort of a barrier result stage whose task failed (not a cancellation). */
    static boolean isFailedBarrierStage(Throwable e) {
        String m = e.getMessage();
        return m != null && m.contains(ABORTED_BARRIER_RESULT_STAGE);
    }

    @SuppressWarnings("unchecked")
    private static <E extends Exception> E sneaky(Exception e) throws E {
        throw (E) e;
    }

    private static GradientSum runOnce(RDD<Shard> shards, StepTask task, long wakeMicros) {
        Object[] out = (Object[]) shards.barrier().mapPartitions(new BarrierStep(task, wakeMicros), false, TAG).collect();
        if (out.length != 1) {
            throw new IllegalStateException("a barrier step returned " + out.length + " sums, expected 1");
        }
        return (GradientSum) out[0];
    }

    /** {@link #WAKE_MICROS} from the driver thread's local properties, else from the Spark configuration. */
    static long wakeMicros(SparkContext sc) {
        String local = sc.getLocalProperty(WAKE_MICROS);
        return local != null ? Long.parseLong(local.trim()) : sc.getConf().getLong(WAKE_MICROS, DEFAULT_WAKE_MICROS);
    }

    @Override
    public scala.collection.Iterator<GradientSum> apply(scala.collection.Iterator<Shard> shards) {
        return CollectionConverters.asScala(call(CollectionConverters.asJava(shards)));
    }

    private Iterator<GradientSum> call(Iterator<Shard> shards) {
        BarrierTaskContext context = BarrierTaskContext.get();
        GradientSum mine = new GradientSum();
        boolean any = false;
        while (shards.hasNext()) {
            try {
                mine = task.call(mine, shards.next());
            } catch (Exception e) {
                throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
            }
            any = true;
        }
        if (!any) {
            mine.tasks = 1;
        }
        String[] all = allGather(context, encode(mine), wakeMicros);
        GradientSum sum = new GradientSum();
        for (String share : all) {
            sum.merge(decode(share));
        }
        return context.partitionId() == 0 ? List.of(sum).iterator() : List.<GradientSum>of().iterator();
    }

    /**
     * {@code context.allGather(message)}, on a helper thread interrupted every {@code wakeMicros} so that
     * Spark's 1-second sleep between checks of the coordinator's answer ends early (see the class
     * comment); on the calling thread when {@code wakeMicros <= 0}. A failure of the all-gather (the task
     * killed because another task of the stage failed, the coordinator's error) is rethrown as it is.
     */
    static String[] allGather(BarrierTaskContext context, String message, long wakeMicros) {
        if (wakeMicros <= 0) {
            return context.allGather(message);
        }
        FutureTask<String[]> gather = new FutureTask<>(() -> context.allGather(message));
        Thread helper = Thread.ofPlatform().daemon().name("kengine-allgather-" + context.partitionId()).start(gather);
        try {
            while (true) {
                try {
                    return gather.get(wakeMicros, TimeUnit.MICROSECONDS);
                } catch (TimeoutException e) {
                    helper.interrupt();
                }
            }
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("allGather failed", cause);
        } catch (InterruptedException e) {
            // Spark interrupts a task thread it kills (spark.job.interruptOnCancel); the helper's next check
            // of the kill reason aborts the request.
            helper.interrupt();
            Thread.currentThread().interrupt();
            context.killTaskIfInterrupted();
            throw new IllegalStateException("interrupted while waiting for the barrier's all-gather", e);
        }
    }

    static String encode(GradientSum g) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(g.gradient == null ? 256 : 4 * g.gradient.length + 256);
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Base64.getEncoder().encodeToString(bytes.toByteArray());
    }

    static GradientSum decode(String s) {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(Base64.getDecoder().decode(s)))) {
            return (GradientSum) in.readObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }
}
