package dev.kengine.spark;

import org.apache.spark.sql.SparkSession;

/**
 * One local Spark for the tests of the module: 2 cores, a failed task tried up to 3 times. A test
 * that needs another master (LocalClusterTest) {@link #stop}s it; the next {@link #get} starts it again.
 */
final class SparkTestSession {
    private static SparkSession spark;

    private SparkTestSession() {}

    static synchronized SparkSession get() {
        if (spark == null || spark.sparkContext().isStopped()) {
            spark = SparkSession.builder().master("local[2,3]").appName("engine-spark tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config("spark.driver.host", "127.0.0.1")
                    .getOrCreate();
            spark.sparkContext().setLogLevel("ERROR");
        }
        return spark;
    }

    /** Stops the shared session, so that a test can start a Spark of its own (one SparkContext per JVM). */
    static synchronized void stop() {
        if (spark != null) {
            spark.stop();
            spark = null;
        }
    }

    /** The largest |a[i] − b[i]| of two parameter vectors of the same length. */
    static double maxAbsDifference(float[] a, float[] b) {
        org.junit.jupiter.api.Assertions.assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }
}
