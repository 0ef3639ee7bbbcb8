package dev.kengine.spark;

import java.io.Serializable;
import java.util.List;
import java.util.Locale;

/**
 * What a distributed training run measured, step by step. A step's wall time splits into the
 * engine's compute in the slowest task ({@link #computeMillis}), the optimiser update on the driver
 * ({@link #updateMillis}), and the rest ({@link #communicationMillis}): broadcasting the parameters,
 * scheduling the tasks, serialising and summing the gradients up the aggregation tree.
 *
 * @param rows                 rows in the training set
 * @param partitions           partitions (tasks per step)
 * @param parameters           parameters of the network (floats)
 * @param loss                 mean loss of each step's batch
 * @param stepMillis           wall time of each step on the driver
 * @param computeMillis        engine time of each step's slowest task
 * @param taskComputeMillis    engine time of each step summed over its tasks
 * @param updateMillis         optimiser update on the driver
 * @param taskResultBytes      bytes of task results (gradients) sent to the driver, all steps, measured by Spark
 * @param shuffleBytes         bytes shuffled between aggregation levels, all steps, measured by Spark
 * @param broadcastBytesPerStep bytes of parameters broadcast each step (sent once to every executor)
 * @param skippedSteps         steps skipped because the float16 gradient overflowed
 * @param backends             the backend (name and options) each task opened
 * @param dtypes               the dtypes of the tensors the tasks' engines computed (each layer's output and
 *                             weight gradient), e.g. {@code [BFLOAT16]} for precision bf16
 * @param aggregation          how the gradients were summed: {@code tree} or {@code barrier}
 * @param failedTasks          task attempts that failed or were killed (Spark ran them, or their stage, again)
 * @param retriedSteps         barrier steps whose stage was run again because one of its tasks failed
 */
public record TrainingSummary(long rows, int partitions, int parameters, double[] loss, double[] stepMillis,
                              double[] computeMillis, double[] taskComputeMillis, double[] updateMillis,
                              long taskResultBytes, long shuffleBytes, long broadcastBytesPerStep, int skippedSteps,
                              List<String> backends, List<String> dtypes, String aggregation, long failedTasks,
                              int retriedSteps) implements Serializable {

    /** Number of steps. */
    public int steps() {
        return loss.length;
    }

    /** Mean wall time of a step. */
    public double meanStepMillis() {
        return mean(stepMillis);
    }

    /** Mean engine time of a step's slowest task. */
    public double meanComputeMillis() {
        return mean(computeMillis);
    }

    /** Mean optimiser update time on the driver. */
    public double meanUpdateMillis() {
        return mean(updateMillis);
    }

    /** Mean time of a step that is neither compute nor update: broadcast, scheduling, gradient transfer and sum. */
    public double meanCommunicationMillis() {
        return meanStepMillis() - meanComputeMillis() - meanUpdateMillis();
    }

    /** Per step: the communication time of each step. */
    public double[] communicationMillis() {
        double[] c = new double[stepMillis.length];
        for (int i = 0; i < c.length; i++) {
            c[i] = stepMillis[i] - computeMillis[i] - updateMillis[i];
        }
        return c;
    }

    /** Bytes exchanged per step: task results and shuffles measured by Spark, plus the parameters broadcast to one executor. */
    public double bytesPerStep() {
        return steps() == 0 ? 0 : (double) (taskResultBytes + shuffleBytes) / steps() + broadcastBytesPerStep;
    }

    private static double mean(double[] a) {
        double s = 0;
        for (double v : a) {
            s += v;
        }
        return a.length == 0 ? 0 : s / a.length;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT,
                "%d steps, %d rows in %d partitions, %d parameters, %s aggregation; per step %.2f ms = compute %.2f ms (slowest task)"
                        + " + update %.2f ms + communication %.2f ms; %.0f bytes exchanged per step (task results %d,"
                        + " shuffle %d bytes in all, broadcast %d bytes per step per executor); backends %s computing %s;"
                        + " %d failed task attempts, %d retried steps",
                steps(), rows, partitions, parameters, aggregation, meanStepMillis(), meanComputeMillis(), meanUpdateMillis(),
                meanCommunicationMillis(), bytesPerStep(), taskResultBytes, shuffleBytes, broadcastBytesPerStep, backends,
                dtypes, failedTasks, retriedSteps);
    }
}
