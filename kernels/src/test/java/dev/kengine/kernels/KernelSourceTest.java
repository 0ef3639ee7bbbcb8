package dev.kengine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class KernelSourceTest {

    @Test
    void directCastKernelsExistInTheText() {
        List<String> names = KernelSource.kernelNames(KernelSource.resource(KernelFamily.ELEMENTWISE.fileName()));
        for (String[] pair : new String[][] {{"FLOAT32", "BFLOAT16"}, {"BFLOAT16", "FLOAT32"}, {"FLOAT32", "FLOAT16"},
            {"FLOAT16", "FLOAT32"}}) {
            String k = KernelSource.directCastKernel(pair[0], pair[1]);
            assertTrue(names.contains(k), k + " in " + names);
        }
        assertNull(KernelSource.directCastKernel("INT32", "FLOAT32"), "the general k_cast");
        assertNull(KernelSource.directCastKernel("FLOAT16", "BFLOAT16"));
    }

    @Test
    void mixedStepKernelsExistInTheText() {
        List<String> names = KernelSource.kernelNames(KernelSource.resource(KernelFamily.OPTIM.fileName()));
        for (String optimiser : new String[] {"sgd", "adam"}) {
            for (String grad : new String[] {"FLOAT32", "FLOAT16", "BFLOAT16"}) {
                for (String half : new String[] {null, "FLOAT16", "BFLOAT16"}) {
                    if (grad.equals("FLOAT32") && half == null) {
                        assertThrows(IllegalArgumentException.class, () -> KernelSource.mixedStepKernel(optimiser, grad, null),
                                "float32 without a copy is the plain k_" + optimiser);
                        continue;
                    }
                    String k = KernelSource.mixedStepKernel(optimiser, grad, half);
                    assertTrue(names.contains(k), k + " in " + names);
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> KernelSource.mixedStepKernel("adam", "INT32", null));
        assertThrows(IllegalArgumentException.class, () -> KernelSource.mixedStepKernel("adam", "FLOAT16", "FLOAT32"));
    }

    @Test
    void assemblesDefinesThenDialectThenCommonThenBody() {
        KernelSource.Assembled a = KernelSource.assemble(KernelFamily.MATMUL, Dialect.OPENCL, Map.of("MWG", "32"));
        String t = a.text();
        int def = t.indexOf("#define MWG 32");
        int dialect = t.indexOf("#define K_OPENCL 1");
        int common = t.indexOf("k_philox4x32_10");
        int body = t.indexOf("__kernel void k_gemm");
        assertTrue(def >= 0 && def < dialect && dialect < common && common < body, "order of the parts");
        assertTrue(a.name().startsWith("matmul-opencl-"));
        assertEquals(64, a.sha256().length());
    }

    @Test
    void nameAndHashFollowTheText() {
        Map<String, String> d1 = new LinkedHashMap<>();
        d1.put("MWG", "32");
        KernelSource.Assembled a = KernelSource.assemble(KernelFamily.MATMUL, Dialect.OPENCL, d1);
        KernelSource.Assembled b = KernelSource.assemble(KernelFamily.MATMUL, Dialect.OPENCL, d1);
        KernelSource.Assembled c = KernelSource.assemble(KernelFamily.MATMUL, Dialect.OPENCL, Map.of("MWG", "64"));
        KernelSource.Assembled d = KernelSource.assemble(KernelFamily.MATMUL, Dialect.CUDA, d1);
        assertEquals(a.name(), b.name());
        assertNotEquals(a.sha256(), c.sha256());
        assertNotEquals(a.sha256(), d.sha256());
    }

    /** CUDA kernels may carry launch bounds between the qualifier and the return type. */
    @Test
    void kernelNamesIncludeKernelsWithLaunchBounds() {
        String text = "__kernel void a(int n) {}\n__kernel __launch_bounds__(1024) void b(KC_ARGS) { f<2, 1024>(x); }\n"
                + "__kernel __launch_bounds__(256, 4)  void c_4(int n) {}\nK_FN void notAKernel(int n) {}\n";
        assertEquals(java.util.List.of("a", "b", "c_4"), KernelSource.kernelNames(text));
    }

    @Test
    void rejectsBadDefines() {
        assertThrows(IllegalArgumentException.class,
                () -> KernelSource.assemble(KernelFamily.REDUCE, Dialect.OPENCL, Map.of("A B", "1")));
        assertThrows(IllegalArgumentException.class,
                () -> KernelSource.assemble(KernelFamily.REDUCE, Dialect.OPENCL, Map.of("A", "1\n#define B 2")));
    }

    /** Every tunable of a family file is guarded by #ifndef, so a define from the host overrides it. */
    @ParameterizedTest
    @EnumSource(KernelFamily.class)
    void everyTunableHasADefault(KernelFamily family) {
        String body = KernelSource.resource(family.fileName());
        assertFalse(KernelSource.kernelNames(body).isEmpty(), family + " declares kernels");
        Matcher m = Pattern.compile("#ifndef (\\w+)\\s*\\n#define (\\w+) ").matcher(body);
        int guarded = 0;
        while (m.find()) {
            assertEquals(m.group(1), m.group(2));
            guarded++;
        }
        assertTrue(guarded >= 1, family + " has a work-group-size tunable with a default");
    }

    /** The CUDA preamble redefines only the __-prefixed qualifiers, never global, local or kernel. */
    @Test
    void cudaPreambleRedefinesOnlyPrefixedQualifiers() {
        String cuda = KernelSource.resource(Dialect.CUDA.preambleResource());
        for (String bare : new String[] {"global", "local", "kernel", "constant", "private"}) {
            assertFalse(Pattern.compile("#define\\s+" + bare + "\\b").matcher(cuda).find(), "defines " + bare);
        }
        assertTrue(cuda.contains("#define __kernel extern \"C\" __global__"));
    }
}
