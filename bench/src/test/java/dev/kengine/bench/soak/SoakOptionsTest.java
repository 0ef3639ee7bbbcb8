package dev.kengine.bench.soak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("soak's options: a bad one is a usage error naming it (one line and exit code 2 from ./engine soak)")
class SoakOptionsTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "--seconds 5|unknown option '--seconds'",
        "--fuzz|--fuzz needs a value",
        "--fuzz --quick|--fuzz needs a value",
        "--fuzz x|--fuzz takes a whole number, got 'x'",
        "--races -1|--races must be from 0",
        "--leaks 99999999999999999|--leaks must be from 0",
        "--oom-limit-mib 1e3|--oom-limit-mib takes a whole number",
        "--backend nope|no backend 'nope'; known: ",
        "--backend|--backend needs a value",
        "--fuzz 0 --races 0 --small 0 --leaks 0 --no-oom|these counts check no target",
        "--quick --fuzz 0 --races 0 --small 9999 --leaks 0 --no-oom|these counts check no target",
    })
    void badOptionsAreUsageErrors(String args, String expected) {
        Soak.UsageException e = assertThrows(Soak.UsageException.class, () -> new Soak().parse(args.split(" ")));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().indexOf('\n') < 0, "one line: " + e.getMessage());
    }

    @Test
    void goodOptionsParse() throws Exception {
        assertTrue(new Soak().parse(new String[] {"--quick", "--fuzz", "0", "--no-oom", "--backend", "CPU"}));
    }

    @Test
    @DisplayName("--quick and a count: the count wins wherever it stands")
    void countsWinOverQuickInAnyOrder() throws Exception {
        Soak before = new Soak();
        before.parse(new String[] {"--fuzz", "500000", "--quick"});
        Soak after = new Soak();
        after.parse(new String[] {"--quick", "--fuzz", "500000"});
        assertEquals(500_000L, before.fuzzCases());
        assertEquals(500_000L, after.fuzzCases());
        assertEquals(100_000L, after.smallOps(), "--quick's own count for the rest");
    }

    @Test
    @DisplayName("a count that leaves a target unchecked is named in the verdict")
    void uncheckedTargetsAreNamed() throws Exception {
        Soak s = new Soak();
        s.parse(new String[] {"--small", "5000", "--no-oom"});
        assertEquals(2, s.unchecked().size(), s.unchecked().toString());
        assertTrue(s.unchecked().get(0).contains("--small below 10000"), s.unchecked().toString());
    }
}
