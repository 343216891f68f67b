// kube/: the Kubernetes plumbing every Tidepool component stands on. Other rooms
// import only from here.
export * from './quantity.js';
export * from './resources.js';
