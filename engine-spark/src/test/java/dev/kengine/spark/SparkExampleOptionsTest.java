package dev.kengine.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("spark-example's options: a bad one is a usage error naming it, found before Spark starts")
class SparkExampleOptionsTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "--workers 2|unknown option '--workers'",
        "--nope|unknown option '--nope'",
        "--epochs|--epochs needs a value",
        "--epochs --batch 3|--epochs needs a value",
        "--epochs 0|--epochs must be at least 1, got 0",
        "--batch x|--batch takes whole numbers, got 'x'",
        "--hidden 64,,32|--hidden takes whole numbers, got ''",
        "--hidden 64,0|--hidden must be at least 1",
        "--precision fp8|fp8",
        "--aggregation ring|ring",
        "--conf spark.x|--conf takes KEY=VALUE, got 'spark.x'",
        "--rows 5000|--rows applies to the random data of --random-features",
        "--master bogus|--master 'bogus' is not a Spark master URL",
        "--master local[x]|--master 'local[x]' is not a Spark master URL",
    })
    void badOptionsAreUsageErrors(String args, String expected) {
        var e = assertThrows(SparkExample.UsageException.class, () -> SparkExample.Options.parse(args.split(" ")));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().indexOf('\n') < 0, "one line: " + e.getMessage());
    }

    @Test
    void goodOptionsParse() throws Exception {
        SparkExample.Options o = SparkExample.Options.parse(new String[] {"--epochs", "3", "--hidden", "16,8",
            "--precision", "bf16", "--conf", "spark.ui.enabled=false"});
        assertEquals(3, o.epochs());
        assertArrayEquals(new int[] {16, 8}, (int[]) o.mlp().getOrDefault(o.mlp().hiddenLayers()));
        assertEquals("false", o.conf().get("spark.ui.enabled"));
        assertTrue(SparkExample.Options.parse(new String[] {"--help"}).help());
        for (String master : new String[] {"local", "local[2]", "local[*]", "local[4,2]", "local-cluster[2,1,1024]",
            "spark://host:7077", "yarn", "k8s://https://host:443"}) {
            assertEquals(master, SparkExample.Options.parse(new String[] {"--master", master}).master(), master);
        }
        assertEquals(5000, SparkExample.Options.parse(new String[] {"--random-features", "8", "--rows", "5000"}).randomRows());
    }
}
