package dev.kengine.spark;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Sums, for the jobs of one job group, the bytes Spark reports its tasks sent (results and shuffle
 * writes), and counts the task attempts that did not succeed (failed or killed).
 */
final class ByteMeter extends SparkListener {
    private final String group;
    private final Set<Integer> stages = ConcurrentHashMap.newKeySet();
    final AtomicLong resultBytes = new AtomicLong();
    final AtomicLong shuffleBytes = new AtomicLong();
    final AtomicLong failedTasks = new AtomicLong();

    ByteMeter(String group) {
        this.group = group;
    }

    @Override
    public void onJobStart(SparkListenerJobStart job) {
        if (job.properties() != null && group.equals(job.properties().getProperty("spark.jobGroup.id"))) {
            scala.collection.Iterator<Object> it = job.stageIds().iterator();
            while (it.hasNext()) {
                stages.add((Integer) it.next());
            }
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd task) {
        if (!stages.contains(task.stageId())) {
            return;
        }
        if (task.taskInfo() != null && !task.taskInfo().successful()) {
            failedTasks.incrementAndGet();
        }
        TaskMetrics m = task.taskMetrics();
        if (m != null) {
            resultBytes.addAndGet(m.resultSize());
            shuffleBytes.addAndGet(m.shuffleWriteMetrics().bytesWritten());
        }
    }
}
