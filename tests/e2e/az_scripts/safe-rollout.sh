# Blue/green rollout in the style of azureml-examples cli/deploy-safe-rollout-online-endpoints.sh (cloud-style:
# no --local, so the endpoint wants its key), plus mirror traffic and the checks a CI job would add.
set -e

az ml online-endpoint create --name $ENDPOINT_NAME -f endpoint.yml -g my-rg -w my-ws

az ml online-deployment create --name blue --endpoint $ENDPOINT_NAME -f blue-deployment.yml --all-traffic

az ml online-endpoint invoke --name $ENDPOINT_NAME --request-file sample-request.json

az ml online-deployment update --name blue --endpoint $ENDPOINT_NAME --set instance_count=2
echo "blue instances: $(az ml online-deployment show -n blue -e $ENDPOINT_NAME --query instance_count -o tsv)"

az ml online-deployment create --name green --endpoint $ENDPOINT_NAME -f green-deployment.yml

echo "traffic: $(az ml online-endpoint show -n $ENDPOINT_NAME --query traffic -o json | tr -d ' \n')"

az ml online-endpoint invoke --name $ENDPOINT_NAME --deployment green --request-file sample-request.json

ENDPOINT_KEY=$(az ml online-endpoint get-credentials -n $ENDPOINT_NAME -o tsv --query primaryKey)

SCORING_URI=$(az ml online-endpoint show -n $ENDPOINT_NAME -o tsv --query scoring_uri)

curl --request POST "$SCORING_URI" --header "Authorization: Bearer $ENDPOINT_KEY" --header 'Content-Type: application/json' --header "azureml-model-deployment: green" --data @sample-request.json
echo
echo "without key: $(curl -s -o /dev/null -w '%{http_code}' --request POST "$SCORING_URI" --data @sample-request.json)"

az ml online-endpoint update --name $ENDPOINT_NAME --mirror-traffic "green=10"
echo "mirror: $(az ml online-endpoint show -n $ENDPOINT_NAME --query mirror_traffic -o json | tr -d ' \n')"
az ml online-endpoint update --name $ENDPOINT_NAME --mirror-traffic "green=0"

az ml online-endpoint update --name $ENDPOINT_NAME --traffic "blue=90 green=10"
echo "traffic: $(az ml online-endpoint show -n $ENDPOINT_NAME --query traffic -o json | tr -d ' \n')"

az ml online-endpoint update --name $ENDPOINT_NAME --traffic "blue=0 green=100"
echo "answered by: $(curl -s -D - -o /dev/null --request POST "$SCORING_URI" --header "Authorization: Bearer $ENDPOINT_KEY" --header 'Content-Type: application/json' --data @sample-request.json | tr -d '\r' | sed -n 's/^azureml-model-deployment: //Ip')"

az ml online-deployment delete --name blue --endpoint $ENDPOINT_NAME --yes --no-wait
echo "deployments: $(az ml online-deployment list -e $ENDPOINT_NAME --query '[].name' -o tsv)"

az ml online-endpoint delete --name $ENDPOINT_NAME --yes --no-wait
