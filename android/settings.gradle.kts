pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "silbato-android"

// :core holds the UniFFI-generated Kotlin bindings and the cargo-ndk libraries; :app is the shell.
include(":core", ":app")
