package dev.sluice.vector;

/**
 * Finds the top-level {@code "vector"} array of a search body and reads its numbers straight from
 * the body's bytes into a float[]: the common case of a search, a JSON object whose vector is a
 * plain array of JSON numbers, in one pass with no tokens, strings or boxed numbers.
 *
 * <p>Why not Jackson here: its streaming parser (which {@link SearchBody} uses for everything else)
 * copies every number's characters into a text buffer and converts them afterwards; with 384 numbers
 * a search, that was 11 % of the gateway's CPU per search under load (flame graph of 2026-12-02).
 * This reader handles only what it fully understands and gives up (null) on anything else: a key
 * before the vector written with an escape, a structure it does not expect, an element that is not a
 * plain JSON number, a value that is not a finite float, an empty array. {@link SearchBody} then
 * parses the whole body with Jackson as before, so every error, and every answer, stays Jackson's.
 *
 * <p>Conversions are exact: each number becomes the float nearest to its decimal value (ties to
 * even), as Jackson's {@code getFloatValue} and {@link Float#parseFloat} give it. Up to 19
 * significant digits, the value is computed in double precision ({@code m × 10^e}, at most three
 * roundings, so within 4 units in the last place of the double); a double's 29 extra bits then
 * decide the float unless the result lies within 16 of those units of a point halfway between two
 * floats (about one number in 30 million), where {@link Float#parseFloat} decides, as it does for
 * longer numbers, exponents outside ±40, and values below the smallest normal float.
 */
final class VectorBytes {
  /** The vector's numbers, and where its array lies in the body: {@code [start, end)}, from '[' to after ']'. */
  record Found(float[] values, int start, int end) {}

  private static final byte[] VECTOR = {'"', 'v', 'e', 'c', 't', 'o', 'r', '"'};
  /** Exact powers of ten: 10^0 .. 10^22 are doubles without rounding. */
  private static final double[] EXACT = new double[23];
  /** 10^23 .. 10^40 and 10^-23 .. 10^-60, each the double nearest to it. */
  private static final double[] BIG = new double[41];
  private static final double[] SMALL = new double[61];
  private static final int MAX_DIGITS = 19;
  /** Low 29 bits of a double's mantissa: the bits below a (normal) float's last place. */
  private static final long BELOW_FLOAT = (1L << 29) - 1;
  private static final long HALF_FLOAT = 1L << 28;
  /** How close to halfway (in units of the double's last place) counts as too close to decide. */
  private static final long MARGIN = 16;

  static {
    for (int i = 0; i < EXACT.length; i++) EXACT[i] = Double.parseDouble("1e" + i);
    for (int i = 23; i < BIG.length; i++) BIG[i] = Double.parseDouble("1e" + i);
    for (int i = 23; i < SMALL.length; i++) SMALL[i] = Double.parseDouble("1e-" + i);
  }

  private VectorBytes() {}

  /** The body's top-level vector array, read; null when the body is anything but the plain case. */
  static Found find(byte[] b) {
    int i = space(b, 0);
    if (i >= b.length || b[i] != '{') return null;
    i = space(b, i + 1);
    while (i < b.length && b[i] == '"') {
      int keyStart = i;
      i = string(b, i, true);
      if (i < 0) return null;
      boolean isVector = i - keyStart == VECTOR.length && matches(b, keyStart, VECTOR);
      i = space(b, i);
      if (i >= b.length || b[i] != ':') return null;
      i = space(b, i + 1);
      if (isVector) {
        if (i >= b.length || b[i] != '[') return null;
        return array(b, i);
      }
      i = skipValue(b, i);
      if (i < 0) return null;
      i = space(b, i);
      if (i >= b.length || b[i] != ',') return null; // '}': no vector; anything else: Jackson's to judge
      i = space(b, i + 1);
    }
    return null;
  }

  /** The array starting at {@code b[open] == '['}: plain numbers only, at least one. */
  private static Found array(byte[] b, int open) {
    float[] out = new float[512];
    int n = 0;
    int i = space(b, open + 1);
    while (true) {
      if (n == out.length) out = java.util.Arrays.copyOf(out, n * 2);
      long parsed = number(b, i, out, n);
      if (parsed < 0) return null;
      i = space(b, (int) parsed);
      n++;
      if (i >= b.length) return null;
      if (b[i] == ']') return new Found(java.util.Arrays.copyOf(out, n), open, i + 1);
      if (b[i] != ',') return null;
      i = space(b, i + 1);
    }
  }

  /**
   * One JSON number at {@code b[i]} into {@code out[n]}; returns the index after it, or -1 when there is
   * no plain number there or its value is not a finite float.
   */
  private static long number(byte[] b, int i, float[] out, int n) {
    int start = i;
    int len = b.length;
    boolean negative = i < len && b[i] == '-';
    if (negative) i++;
    if (i >= len) return -1;
    long m = 0;
    int digits = 0; // significant digits taken into m
    int exp = 0;
    boolean lost = false; // a nonzero digit beyond MAX_DIGITS
    boolean integer = true;
    byte c = b[i];
    if (c == '0') {
      i++;
    } else if (c >= '1' && c <= '9') {
      for (; i < len && (c = b[i]) >= '0' && c <= '9'; i++) {
        if (digits < MAX_DIGITS) {
          m = m * 10 + (c - '0');
          digits++;
        } else {
          exp++;
          lost |= c != '0';
        }
      }
    } else {
      return -1;
    }
    if (i < len && b[i] == '.') {
      integer = false;
      i++;
      int first = i;
      for (; i < len && (c = b[i]) >= '0' && c <= '9'; i++) {
        if (m == 0 && c == '0') {
          exp--; // leading zeros of the fraction: not significant
        } else if (digits < MAX_DIGITS) {
          m = m * 10 + (c - '0');
          digits++;
          exp--;
        } else {
          lost |= c != '0';
        }
      }
      if (i == first) return -1;
    }
    if (i < len && (b[i] == 'e' || b[i] == 'E')) {
      integer = false;
      i++;
      boolean negExp = i < len && b[i] == '-';
      if (i < len && (b[i] == '-' || b[i] == '+')) i++;
      int first = i;
      int e = 0;
      for (; i < len && (c = b[i]) >= '0' && c <= '9'; i++) {
        if (e < 100_000) e = e * 10 + (c - '0');
      }
      if (i == first) return -1;
      exp += negExp ? -e : e;
    }
    if (i < len && b[i] >= '0' && b[i] <= '9') return -1; // "01": not JSON
    float f;
    if (m == 0) {
      // Jackson reads an integer token as a whole number first: "-0" is 0 (+0.0f); "-0.0" and "-0e0" are -0.0f.
      f = negative && !integer ? -0.0f : 0.0f;
    } else {
      f = lost ? Float.NaN : fast(m, exp);
      if (Float.isNaN(f)) f = Float.parseFloat(new String(b, start, i - start, java.nio.charset.StandardCharsets.ISO_8859_1));
      else if (negative) f = -f;
    }
    if (!Float.isFinite(f)) return -1;
    out[n] = f;
    return i;
  }

  /** m × 10^exp as the nearest float, or NaN when double precision cannot decide it for sure. */
  private static float fast(long m, int exp) {
    double d = m; // exact up to 2^53; otherwise one rounding
    if (exp >= 0) {
      if (exp < EXACT.length) d *= EXACT[exp];
      else if (exp < BIG.length) d *= BIG[exp];
      else return Float.NaN;
    } else {
      if (-exp < EXACT.length) d /= EXACT[-exp];
      else if (-exp < SMALL.length) d *= SMALL[-exp];
      else return Float.NaN;
    }
    if (d < Float.MIN_NORMAL) return Float.NaN; // float subnormals keep fewer bits: let the JDK decide
    long below = Double.doubleToRawLongBits(d) & BELOW_FLOAT;
    if (Math.abs(below - HALF_FLOAT) <= MARGIN) return Float.NaN;
    return (float) d;
  }

  /** After a string starting at {@code b[i] == '"'}; -1 when it does not end, or holds an escape and {@code plain}. */
  private static int string(byte[] b, int i, boolean plain) {
    for (i++; i < b.length; i++) {
      byte c = b[i];
      if (c == '"') return i + 1;
      if (c == '\\') {
        if (plain) return -1;
        i++; // the escaped character (a \\uXXXX's digits are plain characters)
      } else if (c >= 0 && c < 0x20) {
        return -1; // a control character: Jackson's error to report
      }
    }
    return -1;
  }

  /** After the value at {@code b[i]} (strings, structures and scalars, not judged beyond their extent); -1 when unclear. */
  private static int skipValue(byte[] b, int i) {
    if (i >= b.length) return -1;
    byte c = b[i];
    if (c == '"') return string(b, i, false);
    if (c == '{' || c == '[') {
      int depth = 0;
      for (; i < b.length; i++) {
        c = b[i];
        if (c == '"') {
          i = string(b, i, false);
          if (i < 0) return -1;
          i--;
        } else if (c == '{' || c == '[') {
          depth++;
        } else if (c == '}' || c == ']') {
          if (--depth == 0) return i + 1;
        }
      }
      return -1;
    }
    int start = i;
    while (i < b.length && (c = b[i]) != ',' && c != '}' && c != ']' && c != ' ' && c != '\t' && c != '\n' && c != '\r') i++;
    return i > start ? i : -1;
  }

  private static int space(byte[] b, int i) {
    while (i < b.length) {
      byte c = b[i];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') break;
      i++;
    }
    return i;
  }

  private static boolean matches(byte[] b, int at, byte[] word) {
    for (int k = 0; k < word.length; k++) {
      if (b[at + k] != word[k]) return false;
    }
    return true;
  }
}
