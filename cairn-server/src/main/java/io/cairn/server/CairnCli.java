package io.cairn.server;

public final class CairnCli {
    public static void main(String[] args) {
        System.out.println("cairn: not yet");
    }
}
