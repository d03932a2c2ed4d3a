package dev.sluice.vector;

import dev.sluice.error.ApiError;
import io.vertx.core.buffer.Buffer;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The hand-written vector reader (VectorBytes, used by SearchBody.parse) against Jackson alone
 * (SearchBody.parseWithJackson, the parser it replaces on the common path): for every body, the same
 * vector to the bit, the same problem, the same other fields, or the same error.
 */
@Label("The search body's vector read from its bytes: the same answer as Jackson's, to the bit")
class VectorBytesTest {

  // ------------------------------------------------------------------------------------- numbers

  @Property(tries = 20_000)
  @Label("any finite float, written as Java, %.9g, a double's repr or its exact decimal, reads back as Jackson reads it")
  void floats(@ForAll("anyFloat") float f) {
    for (String s : renderings(f)) sameNumber(s);
  }

  @Property(tries = 10_000)
  @Label("exact decimal midpoints between neighbouring floats, and numbers a hair either side, round as Jackson rounds them")
  void midpoints(@ForAll("anyFloat") float f) {
    float g = Math.nextUp(Math.abs(f));
    if (!Float.isFinite(g)) return;
    BigDecimal mid = new BigDecimal(Math.abs(f)).add(new BigDecimal(g)).divide(BigDecimal.valueOf(2));
    BigDecimal hair = mid.ulp().max(new BigDecimal("1e-60"));
    for (BigDecimal d : List.of(mid, mid.add(hair), mid.subtract(hair))) {
      sameNumber(d.toString());
      sameNumber(d.toPlainString().length() < 200 ? d.toPlainString() : d.toString());
      sameNumber(d.round(new java.math.MathContext(19)).toString());
      sameNumber(d.round(new java.math.MathContext(17)).toString());
    }
  }

  @Property(tries = 20_000)
  @Label("random decimal numbers (1 to 30 digits, exponents -70..70, signs, e/E/+/-) read as Jackson reads them")
  void decimals(@ForAll("decimal") String s) {
    sameNumber(s);
  }

  @Property(tries = 5_000)
  @Label("whole numbers, int and long and beyond, read as Jackson reads them")
  void integers(@ForAll long n, @ForAll("digits") String more) {
    sameNumber(Long.toString(n));
    if (n != 0) sameNumber(Long.toString(n) + more);
  }

  @Example
  @Label("the edges: zeros of both signs, 2^24 + 1, float's largest and smallest, past them")
  void edges() {
    for (String s : List.of("0", "-0", "0.0", "-0.0", "0e5", "-0e-5", "0.000", "-0.0e0", "1", "-1", "16777217", "16777219",
        "3.4028235e38", "3.4028236e38", "3.40282356779733661637539395458142568448e38", "3.40282357e38", "-3.4028235e38",
        "1.17549435e-38", "1.1754942e-38", "1.4e-45", "7e-46", "7.1e-46", "1e-50", "1e39", "123456789012345678901234567890",
        "0.1", "0.2", "0.30000000000000004", "1E5", "1e+5", "1E-5", "9007199254740993", "9223372036854775807",
        "9223372036854775808", "18446744073709551616", "0.000000000000000000000000000000000000000000001")) {
      sameNumber(s);
    }
  }

  /** One number as the body's only element: the fast reader and Jackson agree to the bit (or both refuse it). */
  private static void sameNumber(String s) {
    String body = "{\"vector\":[" + s + "]}";
    VectorBytes.Found found = VectorBytes.find(body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    SearchBody.Parsed jackson = SearchBody.parseWithJackson(Buffer.buffer(body));
    if (found == null) {
      // refused: only for what is not a finite float (Jackson names the problem)
      assertNotNull(jackson.vectorProblem(), s + ": the fast reader refused a number Jackson reads as " + jackson);
    } else {
      assertNull(jackson.vectorProblem(), s);
      assertEquals(Float.floatToRawIntBits(jackson.vector()[0]), Float.floatToRawIntBits(found.values()[0]),
          s + ": Jackson " + jackson.vector()[0] + ", fast " + found.values()[0]);
      // and both are the float nearest to the decimal value (Float.parseFloat is correctly rounded)
      if (!s.startsWith("-0") || s.matches("-0[.eE].*")) {
        assertEquals(Float.floatToRawIntBits(Float.parseFloat(s)), Float.floatToRawIntBits(found.values()[0]), s);
      }
    }
    same(body);
  }

  private static List<String> renderings(float f) {
    List<String> out = new ArrayList<>();
    out.add(Float.toString(f));
    out.add(String.format(Locale.ROOT, "%.9g", f).trim());
    out.add(Double.toString(f)); // a float32 widened to double, as Python's json writes numpy's values
    out.add(new BigDecimal(f).toString());
    out.add(String.format(Locale.ROOT, "%.6e", f));
    return out;
  }

  @Provide
  Arbitrary<Float> anyFloat() {
    return Arbitraries.oneOf(
        Arbitraries.integers().map(Float::intBitsToFloat).filter(Float::isFinite),
        Arbitraries.floats().between(-1f, 1f).ofScale(10), // the range of normalised embeddings
        Arbitraries.floats().between(-1e-3f, 1e-3f).ofScale(14));
  }

  @Provide
  Arbitrary<String> digits() {
    return Arbitraries.strings().numeric().ofMinLength(0).ofMaxLength(25);
  }

  @Provide
  Arbitrary<String> decimal() {
    Arbitrary<String> sign = Arbitraries.of("", "-");
    Arbitrary<String> whole = Arbitraries.oneOf(Arbitraries.just("0"),
        Arbitraries.strings().numeric().ofMinLength(1).ofMaxLength(22).filter(x -> x.charAt(0) != '0'));
    Arbitrary<String> fraction = Arbitraries.oneOf(Arbitraries.just(""),
        Arbitraries.strings().numeric().ofMinLength(1).ofMaxLength(30).map(x -> "." + x));
    Arbitrary<String> exponent = Arbitraries.oneOf(Arbitraries.just(""),
        Combinators.combine(Arbitraries.of("e", "E"), Arbitraries.of("", "+", "-"), Arbitraries.integers().between(0, 70))
            .as((e, sg, n) -> e + sg + n));
    return Combinators.combine(sign, whole, fraction, exponent).as((a, b, c, d) -> a + b + c + d);
  }

  // ------------------------------------------------------------------------------------- bodies

  @Property(tries = 5_000)
  @Label("well-formed bodies: fields in any order, any white space, strings that look like vectors: the same answer")
  void bodies(@ForAll("body") String body) {
    same(body);
  }

  @Property(tries = 10_000)
  @Label("damaged bodies (cut short, a byte changed, inserted or dropped): the same answer or the same error")
  void damaged(@ForAll("body") String body, @ForAll("damage") Damage damage) {
    same(damage.apply(body));
  }

  @Example
  @Label("bodies the fast reader must hand to Jackson: escapes, duplicates, NaN, strings, nesting, bad numbers")
  void handedOver() {
    String v = "[0.5,-0.25,1e-3]";
    for (String body : List.of(
        "{\"vector\":" + v + ",\"vector\":" + v + "}", "{\"vector\":" + v + ",\"v\\u0065ctor\":" + v + "}",
        "{\"v\\u0065ctor\":" + v + "}", "{\"k\":1,\"vector\":" + v + ",\"k\":2}", "{\"vector\":[NaN,1]}",
        "{\"vector\":[1,Infinity]}", "{\"vector\":[1,\"NaN\"]}", "{\"vector\":[1,\"x\"]}", "{\"vector\":[1,[2]]}",
        "{\"vector\":[1,{\"a\":2}]}", "{\"vector\":[]}", "{\"vector\":[1,]}", "{\"vector\":[,1]}", "{\"vector\":[01]}",
        "{\"vector\":[+1]}", "{\"vector\":[.5]}", "{\"vector\":[1.]}", "{\"vector\":[1e]}", "{\"vector\":[-]}",
        "{\"vector\":[1e39]}", "{\"vector\":[-1e39]}", "{\"vector\":null}", "{\"vector\":{}}", "{\"vector\":\"[1]\"}",
        "{\"vector\":[1]", "{\"vector\":[1]}}", "{\"vector\":[1]} x", "[{\"vector\":[1]}]", "{\"vector\":[1] \"k\":1}",
        "{\"vector\":[1],}", "{\"vector\":[1],\"select\":\"a\\ud800\"}", "{\"vector\":[1] /* c */}",
        "\ufeff{\"vector\":[1]}", "{\"vector\":[1],\"weights\":{\"vector\":1,\"text\":[2]}}",
        "{\"a\":\"\\\"vector\\\":[9]\",\"vector\":[1]}", "{\"a\":[\"]\",{\"vector\":[9]}],\"vector\":[1]}",
        "{\"vector\":[1\u00a0]}", "{\"vector\":[1,\t2\r\n]}", "{\"vector\":[0.1,-0,-0.0]}", " \n{ \"vector\" : [ 1 ] } \n")) {
      same(body);
    }
  }

  @Example
  @Label("a search as clients send it (384 numbers of 9 digits, k, select) takes the fast path")
  void commonCase() {
    java.util.Random random = new java.util.Random(18);
    List<String> numbers = new ArrayList<>();
    for (int i = 0; i < 384; i++) numbers.add(String.format(Locale.ROOT, "%.9g", (random.nextFloat() - 0.5f) / 8).trim());
    String body = "{\"vector\":[" + String.join(",", numbers) + "],\"k\":10,\"select\":\"id,package\"}";
    VectorBytes.Found found = VectorBytes.find(body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertNotNull(found);
    assertEquals(384, found.values().length);
    assertArrayEquals(SearchBody.parseWithJackson(Buffer.buffer(body)).vector(), found.values());
    same(body);
  }

  /** SearchBody.parse (fast path where it applies) and Jackson alone give the same result or the same error. */
  private static void same(String body) {
    Object fast = outcome(() -> SearchBody.parse(Buffer.buffer(body)));
    Object jackson = outcome(() -> SearchBody.parseWithJackson(Buffer.buffer(body)));
    assertEquals(jackson, fast, body);
  }

  /** A comparable summary: the vector's bits, the problem, the fields; or the error's status, message and details. */
  private static Object outcome(java.util.function.Supplier<SearchBody.Parsed> parse) {
    try {
      SearchBody.Parsed p = parse.get();
      int[] bits = null;
      if (p.vector() != null) {
        bits = new int[p.vector().length];
        for (int i = 0; i < bits.length; i++) bits[i] = Float.floatToRawIntBits(p.vector()[i]);
      }
      return List.of("parsed", bits == null ? "null" : java.util.Arrays.toString(bits),
          p.vectorProblem() == null ? "none" : error(p.vectorProblem()), p.fields().encode());
    } catch (ApiError e) {
      return List.of("error", error(e));
    }
  }

  private static String error(ApiError e) {
    return e.status() + " " + e.getMessage() + " " + (e.details() == null ? "" : e.details().encode());
  }

  @Provide
  Arbitrary<String> body() {
    Arbitrary<String> ws = Arbitraries.of("", "", "", " ", "\n", "\t", " \r\n  ");
    Arbitrary<String> number = Arbitraries.oneOf(
        anyFloat().map(f -> String.format(Locale.ROOT, "%.9g", f).trim()),
        anyFloat().map(f -> Float.toString(f)),
        anyFloat().map(f -> Double.toString(f)),
        decimal());
    Arbitrary<String> vector = Combinators.combine(number.list().ofMinSize(1).ofMaxSize(40), ws)
        .as((ns, w) -> "[" + w + String.join(w + "," + w, ns) + w + "]");
    Arbitrary<String> text = Arbitraries.oneOf(
        Arbitraries.strings().withChars("abc \"\\/[]{}:,vector").ofMaxLength(20)
            .map(x -> "\"" + x.replace("\\", "\\\\").replace("\"", "\\\"") + "\""),
        Arbitraries.of("\"id,package\"", "\"\\u0076ector\"", "\"\\\"vector\\\":[1]\"", "\"caf\u00e9 \u2603\""));
    Arbitrary<String> other = Arbitraries.oneOf(
        text.map(t -> "\"select\":" + t),
        Arbitraries.integers().between(-5, 2000).map(k -> "\"k\":" + k),
        Arbitraries.of("\"exact\":true", "\"efSearch\":40", "\"filter\":\"section=eq.web\"", "\"mode\":\"hybrid\"",
            "\"weights\":{\"vector\":1,\"text\":0.5}", "\"text\":\"compression library\"", "\"index\":\"halfvec\"",
            "\"rrfK\":60", "\"junk\":[1,[2,{\"vector\":[3]}],\"]\"]", "\"nothing\":null", "\"k\":1.5e1"));
    return Combinators.combine(vector, other.list().ofMaxSize(4), Arbitraries.integers().between(0, 4), ws, ws)
        .as((v, others, at, w1, w2) -> {
          List<String> fields = new ArrayList<>(others);
          fields.add(Math.min(at, fields.size()), "\"vector\"" + w1 + ":" + w2 + v);
          return w1 + "{" + w2 + String.join("," + w1, fields) + w2 + "}" + w1;
        });
  }

  /** A change to a body: cut it at a point, or replace, insert or drop one character there. */
  record Damage(int kind, double at, char c) {
    String apply(String body) {
      int i = (int) (at * body.length());
      return switch (kind) {
        case 0 -> body.substring(0, i);
        case 1 -> i < body.length() ? body.substring(0, i) + c + body.substring(i + 1) : body + c;
        case 2 -> body.substring(0, i) + c + body.substring(i);
        default -> i < body.length() ? body.substring(0, i) + body.substring(i + 1) : body;
      };
    }
  }

  @Provide
  Arbitrary<Damage> damage() {
    return Combinators.combine(Arbitraries.integers().between(0, 3), Arbitraries.doubles().between(0, 1),
        Arbitraries.of('"', ',', '[', ']', '{', '}', ':', '-', '.', 'e', '0', '9', ' ', '\\', 'x', 'N'))
        .as(Damage::new);
  }
}
