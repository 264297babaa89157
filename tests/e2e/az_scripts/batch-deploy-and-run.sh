# A batch endpoint script in the style of azureml-examples cli/endpoints/batch/deploy-models/*/deploy-and-run.sh:
# register the model, create the endpoint and a default deployment, invoke, wait for the job, download its output.
set -e

az ml model create --name $MODEL_NAME --type "custom_model" --path "model/linear"

az ml batch-endpoint create -n $ENDPOINT_NAME -f endpoint.yml

az ml batch-deployment create --file deployment.yml --endpoint-name $ENDPOINT_NAME --set-default

JOB_NAME=$(az ml batch-endpoint invoke --name $ENDPOINT_NAME --input data --input-type uri_folder --query name -o tsv)
echo "job: $JOB_NAME"

STATUS=$(az ml job show -n $JOB_NAME --query status -o tsv)
echo $STATUS
while [[ $STATUS == "Running" || $STATUS == "NotStarted" || $STATUS == "Queued" || $STATUS == "Preparing" ]]
do
  sleep 1
  STATUS=$(az ml job show -n $JOB_NAME --query status -o tsv)
done
echo "final: $STATUS"
if [[ $STATUS != "Completed" ]]
then
  echo "Job failed"
  exit 1
fi

az ml job download --name $JOB_NAME --output-name score --download-path ./

az ml batch-endpoint delete --name $ENDPOINT_NAME --yes
