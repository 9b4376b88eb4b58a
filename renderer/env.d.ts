// Vite turns CSS imports into <link> tags in the build; TypeScript only needs to know they exist.
declare module '*.css';
