package io.cairn.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AdminRequestExceptionTest {

    @Test
    void readsTheApisErrorAndCode() {
        AdminRequestException e = AdminRequestException.of(409, "{\"error\":\"you already own bucket b\",\"code\":\"BucketAlreadyOwnedByYou\"}");
        assertThat(e.status()).isEqualTo(409);
        assertThat(e.code()).isEqualTo("BucketAlreadyOwnedByYou");
        assertThat(e.getMessage()).isEqualTo("you already own bucket b (HTTP 409 BucketAlreadyOwnedByYou)");
    }

    @Test
    void anErrorWithoutCodeOrAnyOtherBodyIsQuoted() {
        assertThat(AdminRequestException.of(400, "{\"error\":\"query parameter 'name' is required\"}").getMessage())
                .isEqualTo("query parameter 'name' is required (HTTP 400)");
        assertThat(AdminRequestException.of(502, "<html>bad gateway</html>").getMessage()).isEqualTo("<html>bad gateway</html> (HTTP 502)");
        assertThat(AdminRequestException.of(500, "").getMessage()).isEqualTo("no reason given (HTTP 500)");
        assertThat(AdminRequestException.of(500, "x".repeat(2_000)).getMessage())
                .hasSize(AdminRequestException.BODY_CHARS_MAX + "... (HTTP 500)".length());
    }
}
