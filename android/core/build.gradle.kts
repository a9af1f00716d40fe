import org.jetbrains.kotlin.gradle.dsl.JvmTarget

// The Rust core as an Android library: the UniFFI-generated Kotlin bindings
// (src/main/kotlin, package org.silbato.core, written by ../scripts/generate-bindings) and
// libsilbato_ffi.so per ABI (src/main/jniLibs, written by ../build-rust.sh). Nothing hand-written.
plugins {
    alias(libs.plugins.android.library)
    alias(libs.plugins.kotlin.android)
}

android {
    namespace = "org.silbato.core"
    compileSdk = 35

    defaultConfig {
        minSdk = 26
        // The keep rules travel with the library, so any app using :core keeps JNA and the
        // bindings (both are reached through reflection and native callbacks).
        consumerProguardFiles("consumer-rules.pro")
    }

    sourceSets {
        getByName("main") {
            java.srcDir("src/main/kotlin")
            jniLibs.srcDir("src/main/jniLibs")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

dependencies {
    // `api`: the generated public RustBuffer class extends JNA's Structure.
    // `@aar`: the Android artifact, which carries libjnidispatch.so for every ABI.
    api("net.java.dev.jna:jna:${libs.versions.jna.get()}@aar")
    // The generated code needs nothing else: it imports only JNA and java.* (no async exports,
    // so no coroutines; not generated with `android = true`, so no androidx.annotation).
}
