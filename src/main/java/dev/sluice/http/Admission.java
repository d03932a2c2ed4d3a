package dev.sluice.http;

import dev.sluice.admission.WriteAdmission;
import dev.sluice.error.ApiError;
import dev.sluice.write.BulkUpload;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/**
 * Admits an HTTP write under the node's {@link WriteAdmission}: counted against the caller's
 * credential and tenant until the response ends or the connection goes (429 / 503 otherwise).
 */
final class Admission {
  private Admission() {}

  static Handler<RoutingContext> writes(WriteAdmission admission) {
    return ctx -> {
      boolean upload = BulkUpload.isNdjson(ctx.request()) && ctx.request().path().endsWith("/bulk");
      WriteAdmission.Permit permit;
      try {
        // The credential as sent names the key (or token); it stays in memory, never in a log or answer.
        permit = admission.admit(ctx.request().getHeader(HttpHeaders.AUTHORIZATION), Auth.principal(ctx).tenant(), upload);
      } catch (ApiError e) {
        ctx.fail(e);
        return;
      }
      ctx.addEndHandler(ar -> permit.release());
      ctx.next();
    };
  }
}
