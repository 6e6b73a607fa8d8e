package io.cairn.s3;

import java.util.concurrent.ConcurrentHashMap;

/** Derived SigV4 signing keys, cached per (access key, secret, date, region); bounded in size. */
public final class SigningKeyCache {
  private record Entry(String accessKey, String secret, String date, String region) {}

  private final int entriesMax;
  private final ConcurrentHashMap<Entry, byte[]> keys = new ConcurrentHashMap<>();

  public SigningKeyCache(int entriesMax) {
    if (entriesMax <= 0) throw new IllegalArgumentException("entriesMax must be positive");
    this.entriesMax = entriesMax;
  }

  public byte[] signingKey(String accessKey, String secret, String date, String region) {
    Entry entry = new Entry(accessKey, secret, date, region);
    byte[] key = keys.get(entry);
    if (key == null) {
      if (keys.size() >= entriesMax) keys.clear();
      key = SigV4Signer.signingKey(secret, date, region);
      keys.put(entry, key);
    }
    return key;
  }

  int size() {
    return keys.size();
  }
}
