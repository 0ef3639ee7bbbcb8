package dev.kengine.examples.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PushbackInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads a classification data set from CSV: one sample a line, numeric feature columns followed by
 * an integer label in {@code [0, classes)}; every line has the same number of columns. Gzip is
 * recognised by its magic bytes, whatever the file is called. Blank lines are skipped; a first line
 * that is not numeric is taken as a header. Every error names the file, the line and what is
 * accepted.
 */
public final class CsvDataset {
    /** What a data file must look like, for error messages. */
    public static final String FORMAT = "a CSV (optionally gzipped) with one sample per line: numeric feature columns,"
            + " then an integer label";

    private CsvDataset() {}

    /** The 1,797 handwritten 8×8 digits shipped with this module (UCI, CC BY 4.0; see digits/ATTRIBUTION.md). */
    public static Dataset digits() {
        String resource = "/dev/kengine/examples/digits/digits.csv.gz";
        try (InputStream in = CsvDataset.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new DataException("the digits data set is missing from the class path (" + resource + ")");
            }
            return read(in, "digits", 10);
        } catch (IOException e) {
            throw new DataException("cannot read the bundled digits: " + e.getMessage(), e);
        }
    }

    /** Reads {@code file}; labels must lie in {@code [0, classes)}. */
    public static Dataset read(Path file, int classes) {
        String name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
        if (Files.isDirectory(file)) {
            throw new DataException("data file '" + file + "' is a directory; expected " + FORMAT);
        }
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, name, classes);
        } catch (NoSuchFileException e) {
            throw new DataException("data file '" + file + "' does not exist; expected " + FORMAT);
        } catch (IOException e) {
            throw new DataException("cannot read data file '" + file + "': " + (e.getMessage() == null ? e.toString() : e.getMessage()), e);
        }
    }

    /** Reads CSV text (plain or gzipped) from {@code in}; {@code name} labels messages. */
    public static Dataset read(InputStream in, String name, int classes) throws IOException {
        if (classes < 2) {
            throw new DataException("the number of classes must be at least 2, got " + classes);
        }
        PushbackInputStream peek = new PushbackInputStream(in, 2);
        int b0 = peek.read();
        int b1 = peek.read();
        if (b1 >= 0) {
            peek.unread(b1);
        }
        if (b0 >= 0) {
            peek.unread(b0);
        }
        boolean gzipped = b0 == 0x1f && b1 == 0x8b;
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(
                gzipped ? new GZIPInputStream(peek) : peek, StandardCharsets.UTF_8))) {
            return parse(reader, name, classes);
        } catch (ZipException | java.io.EOFException e) {
            throw new DataException(name + ": the gzip data is damaged or cut short"
                    + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")") + "; expected " + FORMAT, e);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new DataException(name + ": not a text file; expected " + FORMAT, e);
        }
    }

    private static Dataset parse(BufferedReader reader, String name, int classes) throws IOException {
        FloatList features = new FloatList();
        IntList labels = new IntList();
        int columns = -1;
        int lineNo = 0;
        String line;
        while ((line = reader.readLine()) != null) {
            lineNo++;
            String text = line.strip();
            if (text.isEmpty()) {
                continue;
            }
            String[] cells = text.split(",", -1);
            if (columns < 0 && labels.size == 0 && !startsNumeric(cells[0])) {
                continue; // a header line
            }
            if (cells.length < 2) {
                throw new DataException(name + " line " + lineNo + ": " + cells.length
                        + " column; expected " + FORMAT);
            }
            if (columns < 0) {
                columns = cells.length;
            } else if (cells.length != columns) {
                throw new DataException(name + " line " + lineNo + ": " + cells.length + " columns but the first line has "
                        + columns + "; every line needs the same number of feature columns followed by the label");
            }
            for (int c = 0; c < cells.length - 1; c++) {
                features.add(number(cells[c], name, lineNo, c + 1));
            }
            labels.add(label(cells[cells.length - 1], name, lineNo, classes));
        }
        if (labels.size == 0) {
            throw new DataException(name + ": no samples in the file; expected " + FORMAT);
        }
        return new Dataset(name, features.toArray(), labels.size, columns - 1, labels.toArray(), classes);
    }

    private static boolean startsNumeric(String cell) {
        String s = cell.strip();
        if (!s.isEmpty() && (Character.isDigit(s.charAt(0)) || s.charAt(0) == '-' || s.charAt(0) == '+'
                || s.charAt(0) == '.')) {
            return true;
        }
        // "nan", "inf" and "infinity" are numbers, not a header: the first line is then read, and rejected as not finite.
        String lower = s.toLowerCase(java.util.Locale.ROOT);
        return lower.equals("nan") || lower.equals("inf") || lower.equals("infinity");
    }

    private static float number(String cell, String name, int line, int column) {
        try {
            float v = Float.parseFloat(cell.strip());
            if (Float.isFinite(v)) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new DataException(name + " line " + line + " column " + column + ": '" + abbreviate(cell)
                + "' is not a finite number; expected " + FORMAT);
    }

    private static int label(String cell, String name, int line, int classes) {
        String s = cell.strip();
        int label;
        try {
            label = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            double d;
            try {
                d = Double.parseDouble(s);
            } catch (NumberFormatException e2) {
                throw new DataException(name + " line " + line + ": label '" + abbreviate(cell)
                        + "' is not an integer; the last column must be a label in 0.." + (classes - 1));
            }
            if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
                throw new DataException(name + " line " + line + ": label '" + abbreviate(cell)
                        + "' is not an integer; the last column must be a label in 0.." + (classes - 1));
            }
            label = (int) d;
        }
        if (label < 0 || label >= classes) {
            throw new DataException(name + " line " + line + ": label " + label + " is outside the classes 0.."
                    + (classes - 1) + " (set the number of classes with --classes)");
        }
        return label;
    }

    private static String abbreviate(String s) {
        return s.length() > 20 ? s.substring(0, 17) + "..." : s;
    }

    private static final class FloatList {
        float[] a = new float[1024];
        int size;

        void add(float v) {
            if (size == a.length) {
                a = java.util.Arrays.copyOf(a, a.length * 2);
            }
            a[size++] = v;
        }

        float[] toArray() {
            return java.util.Arrays.copyOf(a, size);
        }
    }

    private static final class IntList {
        int[] a = new int[256];
        int size;

        void add(int v) {
            if (size == a.length) {
                a = java.util.Arrays.copyOf(a, a.length * 2);
            }
            a[size++] = v;
        }

        int[] toArray() {
            return java.util.Arrays.copyOf(a, size);
        }
    }
}
