package dev.kengine.spark;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import java.io.Serializable;
import org.apache.spark.rdd.RDD;
import scala.jdk.javaapi.CollectionConverters;
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
 * <p>A barrier stage runs all its tasks at once: the trainer coalesces the shards to no more
 * partitions than the cluster has task slots. A failed task fails the whole stage attempt, which
 * Spark retries as a whole ({@code spark.stage.maxConsecutiveAttempts}); nothing a task does changes
 * the parameters, so a retried step sums the same gradient.
 */
final class BarrierStep extends AbstractFunction1<scala.collection.Iterator<Shard>, scala.collection.Iterator<GradientSum>>
        implements Serializable {
    private static final long serialVersionUID = 1L;
    private final StepTask task;

    BarrierStep(StepTask task) {
        this.task = task;
    }

    /** Runs the step as a barrier stage over {@code shards} (at most one partition per task slot); returns the one sum. */
    static GradientSum run(RDD<Shard> shards, StepTask task) {
        Object[] out = (Object[]) shards.barrier()
                .mapPartitions(new BarrierStep(task), false, ClassTag$.MODULE$.apply(GradientSum.class)).collect();
        if (out.length != 1) {
            throw new IllegalStateException("a barrier step returned " + out.length + " sums, expected 1");
        }
        return (GradientSum) out[0];
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
        String[] all = context.allGather(encode(mine));
        GradientSum sum = new GradientSum();
        for (String share : all) {
            sum.merge(decode(share));
        }
        return context.partitionId() == 0 ? List.of(sum).iterator() : List.<GradientSum>of().iterator();
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
