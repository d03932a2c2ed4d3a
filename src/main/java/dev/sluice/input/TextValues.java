package dev.sluice.input;

/**
 * Checks for text that PostgreSQL cannot store as it was sent: the NUL character (a text value
 * cannot hold it: SQLSTATE 22021) and a lone UTF-16 surrogate (no UTF-8 form: the driver would
 * write '?'). Client text is checked here before it is bound, so such input is a 400 naming the
 * value rather than a database error.
 */
public final class TextValues {
  private TextValues() {}

  /** Why {@code s} cannot be stored or compared as text, or null when it can. */
  public static String problem(String s) {
    if (s.indexOf('\u0000') >= 0) return "may not contain the NUL character";
    if (hasLoneSurrogate(s)) return "holds a lone UTF-16 surrogate";
    return null;
  }

  public static boolean hasLoneSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) i++;
        else return true;
      } else if (Character.isLowSurrogate(c)) {
        return true;
      }
    }
    return false;
  }
}
