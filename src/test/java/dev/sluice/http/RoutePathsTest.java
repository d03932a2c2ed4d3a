package dev.sluice.http;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Route paths: the string tests that replaced the regex routes say what the regexes said")
class RoutePathsTest {

  @Test
  @DisplayName("only /v1/{resource}/changes is the change feed (was ^/v1/[^/]+/changes$)")
  void changeFeed() {
    assertTrue(HttpVerticle.isChangeFeed("/v1/leads/changes"));
    assertTrue(HttpVerticle.isChangeFeed("/v1/x/changes"));
    assertFalse(HttpVerticle.isChangeFeed("/v1//changes"));
    assertFalse(HttpVerticle.isChangeFeed("/v1/changes"));
    assertFalse(HttpVerticle.isChangeFeed("/v1/leads/1/changes"));
    assertFalse(HttpVerticle.isChangeFeed("/v1/leads/changesx"));
    assertFalse(HttpVerticle.isChangeFeed("/v2/leads/changes"));
    assertFalse(HttpVerticle.isChangeFeed("/v1/leads"));
  }

  @Test
  @DisplayName("every POST under /v1/ needs a writer except .../search (was /v1/(?!.+/search$).*)")
  void writerPosts() {
    assertTrue(HttpVerticle.needsWriter("/v1/leads/bulk"));
    assertTrue(HttpVerticle.needsWriter("/v1/batch"));
    assertTrue(HttpVerticle.needsWriter("/v1/search"));
    assertTrue(HttpVerticle.needsWriter("/v1//search"));
    assertTrue(HttpVerticle.needsWriter("/v1/leads/searchx"));
    assertFalse(HttpVerticle.needsWriter("/v1/documents/search"));
    assertFalse(HttpVerticle.needsWriter("/v1/a/b/search"));
    assertFalse(HttpVerticle.needsWriter("/admin/advice/apply"));
    assertFalse(HttpVerticle.needsWriter("/v1"));
  }
}
